#!/usr/bin/env python3
"""Converts the policy reference (policy/README.md) into the body of an scdoc
man page, so that helixagent.yaml(5) says what the README says, word for word.

Usage: md2scd.py HEADER.scd.in README.md > OUT.scd
The header holds the man page's NAME/SYNOPSIS/DESCRIPTION; the line
@POLICY_README@ in it is replaced by the converted README. Headings become
sections (##) and subsections (### and deeper), tables become one indented
paragraph per row (a man page has no room for wide tables), links keep their
text, inline code becomes bold.
"""
import re
import sys


def inline(text):
    # escape what scdoc treats as markup before adding ours
    text = text.replace('\\|', '|')
    text = re.sub(r'\[([^\]]+)\]\([^)]+\)', r'\1', text)        # [text](link) -> text
    parts = re.split(r'(`[^`]*`)', text)
    out = []
    for p in parts:
        if p.startswith('`') and p.endswith('`') and len(p) >= 2:
            code = p[1:-1].replace('\\', '\\\\').replace('*', '\\*').replace('_', '\\_')
            out.append('*' + code + '*' if code else '')
        else:
            p = p.replace('\\', '\\\\').replace('_', '\\_')
            p = re.sub(r'(?<!\*)\*([^*\n]+)\*(?!\*)', r'_\1_', p)  # *italic* -> _underline_
            p = re.sub(r'\*\*([^*]+)\*\*', r'*\1*', p)          # **bold** -> *bold*
            out.append(p)
    return ''.join(out)


def cells(line):
    line = line.strip()
    line = line[1:] if line.startswith('|') else line
    line = line[:-1] if line.endswith('|') and not line.endswith('\\|') else line
    return [c.strip() for c in re.split(r'(?<!\\)\|', line)]


def table(rows):
    head = cells(rows[0])
    out = []
    for r in rows[2:]:
        c = cells(r)
        term = inline(c[0]) if c[0] else '(none)'
        out.append(term)
        vals = ['\t' + (inline(h) + ': ' if h and len(head) > 2 else '') + inline(v)
                for h, v in zip(head[1:], c[1:]) if v]
        for v in vals:  # one paragraph per column
            out += [v, '']
    return out


def convert(md):
    lines = md.split('\n')
    out = []
    i = 0
    first = True
    while i < len(lines):
        l = lines[i]
        if l.startswith('```'):
            block = []
            i += 1
            while i < len(lines) and not lines[i].startswith('```'):
                block.append(lines[i])
                i += 1
            out += ['```'] + block + ['```', '']
            i += 1
            continue
        m = re.match(r'^(#+) (.*)$', l)
        if m:
            level, title = len(m.group(1)), re.sub(r'`', '', m.group(2))
            if level == 1:
                first = False  # the page's own title: the header's NAME says it
            elif level == 2:
                out += ['# ' + title.upper(), '']
            else:
                out += ['## ' + title, '']
            i += 1
            continue
        if l.startswith('|') and i + 1 < len(lines) and re.match(r'^\|[-| :]+\|$', lines[i + 1]):
            rows = []
            while i < len(lines) and lines[i].startswith('|'):
                rows.append(lines[i])
                i += 1
            out += table(rows)
            continue
        if l.startswith('Contents:'):  # anchors that mean nothing in a man page
            while i < len(lines) and lines[i].strip():
                i += 1
            continue
        if l.startswith('- '):
            item = [l[2:]]
            i += 1
            while i < len(lines) and lines[i].startswith('  ') and not lines[i].startswith('- '):
                item.append(lines[i].strip())
                i += 1
            out.append('- ' + inline(' '.join(item)))
            if i >= len(lines) or not lines[i].startswith('- '):
                out.append('')
            continue
        if not l.strip():
            if out and out[-1] != '':
                out.append('')
            i += 1
            continue
        out.append(inline(l))
        i += 1
    return '\n'.join(out).rstrip() + '\n'


def main():
    header = open(sys.argv[1]).read()
    body = convert(open(sys.argv[2]).read())
    sys.stdout.write(header.replace('@POLICY_README@\n', body))


if __name__ == '__main__':
    main()
