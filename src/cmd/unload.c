// SPDX-License-Identifier: GPL-2.0
/* `helixagent unload`: stop the daemon, detach everything, remove the pins. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "daemon/state.h"
#include "loader/loader.h"

static void say(const struct hx_cli *cli, bool unloaded, int daemon_pid, const char *text)
{
	if (!cli->json) {
		printf("%s\n", text);
		return;
	}
	printf("{\"unloaded\":%s,\"daemon_stopped\":", unloaded ? "true" : "false");
	if (daemon_pid > 0)
		printf("%d}\n", daemon_pid);
	else
		printf("null}\n");
}

static int unload(const struct hx_cli *cli)
{
	struct hx_state st;
	struct stat sb;
	char what[600];
	int err, stopped = 0;
	bool pinned;

	err = hx_state_read(&st);
	if (err && err != -ENOENT) {
		hx_log("unload: cannot read %s: %s", HX_STATE_FILE, strerror(-err));
		return hx_cli_exit_for(-err);
	}
	/* A running daemon holds links open: stop it first, or enforcement would stay. */
	switch (hx_state_daemon(&st, what, sizeof(what))) {
	case HX_DAEMON_ALIVE:
		if (kill(st.pid, SIGTERM)) {
			hx_log("unload: cannot stop the daemon (pid %d): %s", st.pid,
			       strerror(errno));
			hx_state_free(&st);
			return 2;
		}
		for (int i = 0;
		     i < 100 && hx_state_daemon(&st, what, sizeof(what)) == HX_DAEMON_ALIVE; i++)
			usleep(50000);
		if (hx_state_daemon(&st, what, sizeof(what)) == HX_DAEMON_ALIVE) {
			hx_log("unload: the daemon (pid %d) did not exit within 5 s; nothing unloaded",
			       st.pid);
			hx_state_free(&st);
			return 2;
		}
		stopped = st.pid;
		break;
	case HX_DAEMON_OTHER:
		/* The daemon is gone and its pid reused: whoever has it now is not ours to stop. */
		hx_log("unload: pid %d of %s is not the daemon that wrote it (it is %s); not signalling it",
		       st.pid, HX_STATE_FILE, what);
		break;
	case HX_DAEMON_NONE:
		break;
	}
	hx_state_free(&st);
	pinned = !stat(HX_PIN_DIR, &sb);
	if (!pinned && errno != ENOENT) {
		hx_log("unload: cannot look at %s: %s", HX_PIN_DIR, strerror(errno));
		return hx_cli_exit_for(errno);
	}
	if (!pinned && !stopped) {
		unlink(HX_STATE_FILE);
		say(cli, false, 0, "nothing loaded");
		return 0;
	}
	err = hx_loader_unpin_all();
	if (err) {
		hx_log("unload: failed to remove the pins under %s: %s", HX_PIN_DIR,
		       strerror(-err));
		return 2;
	}
	unlink(HX_STATE_FILE);
	say(cli, true, stopped, "unloaded: enforcement removed");
	return 0;
}

const struct hx_cmd hx_cmd_unload_def = {
	.name = "unload",
	.synopsis = "[--json]",
	.summary = "stop the daemon, detach everything and remove the pins",
	.details = "The only way enforcement ends on purpose. The daemon is signalled only when\n"
		   "the pid in /run/helixagent/state still names it (same executable, same start\n"
		   "time). Prints \"nothing loaded\" (exit 0) when nothing was.\n"
		   "Exit status: 0 unloaded or nothing loaded, 2 no permission, or the daemon\n"
		   "did not stop.\n",
	.opts = (const struct hx_opt *const[]){ &hx_opt_config_unused, &hx_opt_json, &hx_opt_help,
						NULL },
	.run = unload,
};
