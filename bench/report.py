#!/usr/bin/env python3
"""Benchmark report: build/bench/{vm-<series>.jsonl,events.jsonl} -> results.json, results.md.

    bench/report.py OUTDIR [SERIES...]

Ratios are to the "none" configuration of the same VM run (same kernel, same boot,
same calibrated N). Under TCG absolute times mean little; the ratios are the result.
No goal fails anything: the table says met or missed.
"""
import json
import os
import platform
import statistics
import sys
import time

CONFIGS = ["none", "floor", "empty", "realistic", "medium", "large"]
AGENT_CONFIGS = CONFIGS[1:]
OPS = ["open", "stat", "exec", "connect", "udp"]
OP_NAMES = {
    "open": "open+close",
    "stat": "stat",
    "exec": "fork+exec+wait",
    "connect": "TCP connect (loopback)",
    "udp": "UDP sendto (loopback)",
}
# issue 9: (what, config, ops, limit)
GOALS = [
    ("realistic policy, open/close", "realistic", ["open"], 1.05),
    ("realistic policy, fork+exec", "realistic", ["exec"], 1.05),
    ("realistic policy, TCP connect", "realistic", ["connect"], 1.10),
    ("large policy, every operation", "large", OPS, 1.15),
]
CONFIG_NAMES = {
    "none": "none",
    "floor": "floor (no-op BPF)",
    "empty": "agent, empty policy",
    "realistic": "realistic policy",
    "medium": "medium policy",
    "large": "large policy",
}


def load_jsonl(path):
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                pass  # a console line cut by a kernel message
    return out


def summarize_vm(records):
    vm = {"env": {}, "micro": {}, "load": {}, "bpfstat": {}, "other": []}
    for r in records:
        kind = r.get("kind")
        if kind == "env":
            vm["env"] = r
        elif kind == "micro":
            cell = {"n": r.get("n")}
            if "error" in r:
                cell["error"] = r["error"]
            else:
                v = r["ns_per_op"]
                cell.update(median=statistics.median(v), min=min(v), max=max(v), rounds=v)
            vm["micro"].setdefault(r["config"], {})[r["op"]] = cell
        elif kind == "load":
            vm["load"].setdefault(r["config"], {}).update(r)
        elif kind == "rss":
            vm["load"].setdefault(r["config"], {})["rss_kb_after"] = r["rss_kb_after"]
        elif kind == "bpfstat":
            total = sum(p["runs_per_op"] * p["ns_per_run"] for p in r["progs"])
            vm["bpfstat"].setdefault(r["config"], {})[r["op"]] = {
                "bpf_ns_per_op": round(total, 1),
                "progs": r["progs"],
            }
        else:
            vm["other"].append(r)
    base = vm["micro"].get("none", {})
    vm["ratio"] = {}
    for cfg, ops in vm["micro"].items():
        for op, cell in ops.items():
            b = base.get(op, {})
            if "median" in cell and b.get("median"):
                vm["ratio"].setdefault(cfg, {})[op] = {
                    "median": cell["median"] / b["median"],
                    # spread of the ratio: extremes of this config over the median of none
                    "min": cell["min"] / b["median"],
                    "max": cell["max"] / b["median"],
                }
    return vm


def summarize_events(records):
    ev = {"steps": records}
    lossless = [r for r in records if r.get("lost", 1) == 0]
    ev["max_lossless_per_s"] = max((r["events_per_s"] for r in lossless), default=0)
    first_drop = [r for r in records if r.get("lost", 0) > 0 and r.get("target_per_s", 0) > 0]
    ev["drops_from_target_per_s"] = min((r["target_per_s"] for r in first_drop), default=None)
    full = [r for r in records if r.get("target_per_s") == 0]
    if full:
        f = full[0]
        ev["saturated_per_s"] = f["events_per_s"]
        ev["saturated_consumer_cpu"] = f["consumer_cpu"]
        ev["per_consumer_cpu_s"] = f["events_per_s"] / f["consumer_cpu"] if f["consumer_cpu"] else 0
    return ev


def fmt_ns(ns):
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.1f µs" % (ns / 1e3)
    return "%.0f ns" % ns


def cell(vm, cfg, op):
    c = vm["micro"].get(cfg, {}).get(op)
    load = vm["load"].get(cfg, {})
    if c is None:
        if load.get("ok") is False:
            return "not loaded"
        return "—"
    if "error" in c:
        return "failed: " + c["error"][:60]
    if cfg == "none":
        return "%s (%s–%s)" % (fmt_ns(c["median"]), fmt_ns(c["min"]), fmt_ns(c["max"]))
    r = vm["ratio"][cfg][op]
    return "**%.2fx** (%.2f–%.2f)" % (r["median"], r["min"], r["max"])


def series_ops(vm):
    """The operations this series measured (the host-native one has only the network)."""
    seen = set()
    for ops in vm["micro"].values():
        seen.update(ops)
    return [op for op in OPS if op in seen]


def configs_of(vm):
    return [c for c in CONFIGS if c in vm["micro"] or c in vm["load"]]


def goal_rows(vm, ev):
    rows = []
    measured = series_ops(vm)
    for what, cfg, ops, limit in GOALS:
        ops = [op for op in ops if op in measured]
        if not ops:
            continue
        rs = [vm["ratio"].get(cfg, {}).get(op) for op in ops]
        if any(r is None for r in rs):
            why = vm["load"].get(cfg, {}).get("error") or "not measured"
            rows.append((what, "≤ %.2fx" % limit, "—", "missed: " + why[:120]))
            continue
        worst = max(rs, key=lambda r: r["median"])
        worst_op = ops[rs.index(worst)]
        got = "%.2fx" % worst["median"] + (" (%s)" % OP_NAMES[worst_op] if len(ops) > 1 else "")
        rows.append((what, "≤ %.2fx" % limit, got, "met" if worst["median"] <= limit else "missed"))
    # floor: what an operation costs with the agent over what it costs with do-nothing hooks
    fl = vm["ratio"].get("floor", {})
    re_ = vm["ratio"].get("realistic", {})
    ratios = {op: re_[op]["median"] / fl[op]["median"] for op in OPS if op in fl and op in re_}
    if ratios:
        op = max(ratios, key=ratios.get)
        rows.append(("realistic policy within 2x of the floor (operation time)", "≤ 2.00x",
                     "%.2fx (%s)" % (ratios[op], OP_NAMES[op]), "met" if ratios[op] <= 2 else "missed"))
    bs_f, bs_r = vm["bpfstat"].get("floor", {}), vm["bpfstat"].get("realistic", {})
    hook = {op: (bs_r[op]["bpf_ns_per_op"], bs_f[op]["bpf_ns_per_op"]) for op in OPS
            if op in bs_f and op in bs_r and bs_f[op]["bpf_ns_per_op"] > 0}
    if hook:
        op = max(hook, key=lambda o: hook[o][0] / hook[o][1])
        a, f = hook[op]
        rows.append(("realistic policy within 2x of the floor (BPF run time, bpf_stats)", "≤ 2.00x",
                     "%.1fx (%s: %s vs %s per op)" % (a / f, OP_NAMES[op], fmt_ns(a), fmt_ns(f)),
                     "met" if a / f <= 2 else "missed"))
    big = vm["load"].get("large", {})
    if vm["env"].get("native") and "install_cpu_s" in big:
        t = big["parse_cpu_s"] + big["install_cpu_s"]
        rows.append(("100,000 CIDRs parsed and installed, agent CPU time (issue 5)", "< 1 s",
                     "%.2f s" % t, "met" if t < 1 else "missed"))
    if ev.get("steps") and not vm["env"].get("native"):
        m = ev["max_lossless_per_s"]
        rows.append(("audit events, ring buffer to JSON log, no loss", "≥ 1,000,000/s", "{:,.0f}/s".format(m),
                     "met" if m >= 1e6 else "missed"))
    return rows


def markdown(res):
    out = []
    out.append("Run %s; host %s; VM under TCG (software emulation, 1 vCPU): "
               "absolute times are not meaningful, ratios to *none* of the same run are."
               % (res["date"], res["host_kernel"]))
    for series, vm in res["vm"].items():
        env = vm["env"]
        cfgs = configs_of(vm)
        out.append("")
        if env.get("native"):
            out.append("### Network natively on the host (%s), %s rounds of ~%s ms per figure"
                       % (env.get("kernel", "?"), env.get("rounds", "?"), env.get("round_ms", "?")))
            out.append("")
            out.append("The agent's own cgroup sock_addr programs, object and loader (bench/native.sh), "
                       "not under emulation. The host refuses the LSM half (the socket_create and "
                       "socket_sendmsg checks of socket kinds the address hooks do not judge), so these "
                       "figures are the address hooks' cost alone; the VM tables have both.")
        else:
            out.append("### Kernel %s (%s), %s rounds of ~%s ms per figure"
                       % (series, env.get("kernel", "?"), env.get("rounds", "?"), env.get("round_ms", "?")))
        out.append("")
        out.append("Median per operation; *none* in time (min–max of rounds), others as a ratio to "
                   "*none* (min–max).")
        out.append("")
        out.append("| operation | %s |" % " | ".join(CONFIG_NAMES[c] for c in cfgs))
        out.append("|---|%s" % ("---|" * len(cfgs)))
        for op in series_ops(vm):
            out.append("| %s | %s |" % (OP_NAMES[op], " | ".join(cell(vm, c, op) for c in cfgs)))
        if env.get("native"):
            acfgs = [c for c in cfgs if "parse_cpu_s" in vm["load"].get(c, {})]
            if acfgs:
                out.append("")
                out.append("Agent CPU time (user + system) to parse the policy, open and load the "
                           "object (cgroup programs only), and install the rules into the maps:")
                out.append("")
                out.append("| step | %s |" % " | ".join(acfgs))
                out.append("|---|%s" % ("---|" * len(acfgs)))
                for step, key in [("parse", "parse_cpu_s"), ("open + load", "open_cpu_s"),
                                  ("install", "install_cpu_s")]:
                    out.append("| %s | %s |" % (step, " | ".join(
                        "%.3f s" % vm["load"][c][key] for c in acfgs)))
            out.append("")
            out.append("| goal (issues 5, 9) | target | measured | |")
            out.append("|---|---|---|---|")
            for row in goal_rows(vm, res["events"]):
                out.append("| %s |" % " | ".join(row))
            continue
        out.append("")
        out.append("BPF run time per operation (bpf_stats, all programs that ran):")
        out.append("")
        acfgs = [c for c in cfgs if c != "none"]
        out.append("| operation | %s |" % " | ".join(acfgs))
        out.append("|---|%s" % ("---|" * len(acfgs)))
        for op in series_ops(vm):
            cells = []
            for c in acfgs:
                b = vm["bpfstat"].get(c, {}).get(op)
                cells.append(fmt_ns(b["bpf_ns_per_op"]) if b else "—")
            out.append("| %s | %s |" % (OP_NAMES[op], " | ".join(cells)))
        out.append("")
        out.append("| load and memory | %s |" % " | ".join(acfgs))
        out.append("|---|%s" % ("---|" * len(acfgs)))
        rows = [("start to enforcing (incl. verification)", "start_ms", lambda v: "%.1f s" % (v / 1000)),
                ("maps held by the daemon", "maps", str),
                ("map memory (memlock)", "map_memlock_bytes", lambda v: "%.1f MiB" % (v / 1048576)),
                ("daemon RSS after load", "rss_kb", lambda v: "%.1f MiB" % (v / 1024)),
                ("daemon RSS after the workload", "rss_kb_after", lambda v: "%.1f MiB" % (v / 1024))]
        for name, key, f in rows:
            cells = []
            for c in acfgs:
                ld = vm["load"].get(c, {})
                if ld.get("ok") is False:
                    cells.append("failed: " + ld.get("error", "")[:80])
                elif key in ld:
                    cells.append(f(ld[key]))
                else:
                    cells.append("—")
            out.append("| %s | %s |" % (name, " | ".join(cells)))
        for o in vm["other"]:
            if o.get("kind") == "gen":
                out.append("")
                out.append("%s: %d lines, %.2f MiB of YAML."
                           % (CONFIG_NAMES.get(o.get("config"), "Large policy").capitalize(), o["lines"],
                              o["bytes"] / 1048576))
            if o.get("kind") == "check":
                out.append("`helixagent check` of it: %.1f s (exit %d)." % (o["check_ms"] / 1000, o["rc"]))
        out.append("")
        out.append("| goal (issue 9) | target | measured | |")
        out.append("|---|---|---|---|")
        for row in goal_rows(vm, res["events"]):
            out.append("| %s |" % " | ".join(row))
    ev = res["events"]
    if ev.get("steps"):
        out.append("")
        out.append("### Audit throughput (host, %s, natively)" % res["host_kernel"])
        out.append("")
        out.append("| producer target | produced | lost (ring full) | written | written/s | consumer CPU |")
        out.append("|---|---|---|---|---|---|")
        for s in ev["steps"]:
            t = "unthrottled" if s["target_per_s"] == 0 else "{:,.0f}/s".format(s["target_per_s"])
            out.append("| {} | {:,} | {:,} | {:,} | {:,.0f} | {:.0%} |".format(
                t, s["produced"], s["lost"], s["written"], s["events_per_s"], s["consumer_cpu"]))
        if "per_consumer_cpu_s" in ev:
            out.append("")
            out.append("Unthrottled, the consumer writes {:,.0f} events per second of its own CPU time.".format(
                ev["per_consumer_cpu_s"]))
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    outdir, series = sys.argv[1], sys.argv[2:]
    res = {
        "date": time.strftime("%Y-%m-%d"),
        "host_kernel": platform.release(),
        "vm": {},
        "events": summarize_events(load_jsonl(os.path.join(outdir, "events.jsonl"))),
    }
    for s in series:
        recs = load_jsonl(os.path.join(outdir, "vm-%s.jsonl" % s))
        if recs:
            res["vm"][s] = summarize_vm(recs)
    recs = load_jsonl(os.path.join(outdir, "native.jsonl"))
    if recs:
        res["vm"]["host"] = summarize_vm(recs)
    if not res["vm"] and not res["events"]["steps"]:
        print("report: nothing was measured", file=sys.stderr)
        return 1
    for s, vm in res["vm"].items():
        vm["goals"] = [dict(zip(["goal", "target", "measured", "verdict"], r)) for r in goal_rows(vm, res["events"])]
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
