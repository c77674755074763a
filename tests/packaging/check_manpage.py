#!/usr/bin/env python3
"""Checks that the hypnicd(1) manual page lists the same subcommands and options as `hypnicd --help`."""
import re
import subprocess
import sys


def help_text(binary, args):
    r = subprocess.run([binary, *args, "--help"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        sys.exit(f"check_manpage: `{binary} {' '.join(args)} --help` exited with {r.returncode}: {r.stderr}")
    return r.stdout


def help_sections(text):
    """CLI11 help: section name ('Options', 'Subcommands', 'Positionals') -> its lines."""
    sections, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^(\w+):\s*$", line)
        if m:
            current = m.group(1)
            sections[current] = []
        elif current and line.strip():
            sections[current].append(line)
    return sections


def help_options(text):
    opts, positionals = set(), set()
    s = help_sections(text)
    for line in s.get("Options", []):
        m = re.match(r"^\s{2}(-\S+?)(?:\s|$)", line)
        if m:
            for name in m.group(1).split(","):
                if name.startswith("--") and name != "--help":
                    opts.add(name)
    for line in s.get("Positionals", []):
        m = re.match(r"^\s{2}(\w+)\s", line)
        if m:
            positionals.add(m.group(1))
    return opts, positionals


def help_subcommands(text):
    subs = []
    for line in help_sections(text).get("Subcommands", []):
        m = re.match(r"^\s{2}([a-z][a-z-]*)\s", line)
        if m:
            subs.append(m.group(1))
    return subs


def unescape(roff):
    return roff.replace("\\-", "-").replace("\\fI", "").replace("\\fR", "").replace("\\fB", "")


def man_layout(path):
    """(global options, {subcommand: (options, positionals)}) from the .SH/.SS/.TP structure."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    global_opts, subs = set(), {}
    section, sub, after_tp = None, None, False
    for line in lines:
        if line.startswith(".SH "):
            section, sub = unescape(line[4:]).strip('"'), None
            continue
        if line.startswith(".SS ") and section == "SUBCOMMANDS":
            sub = unescape(line[4:]).strip()
            subs[sub] = (set(), set())
            continue
        if line.startswith(".TP"):
            after_tp = True
            continue
        if after_tp:
            after_tp = False
            tag = unescape(line)
            names = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", tag))
            if section == "GLOBAL OPTIONS":
                global_opts |= names
            elif section == "SUBCOMMANDS" and sub:
                subs[sub][0].update(names)
                m = re.match(r"^\.I (\w+)\s*$", line)
                if m:
                    subs[sub][1].add(m.group(1))
    global_opts.discard("--help")
    for opts, _ in subs.values():
        opts.discard("--help")
    return global_opts, subs


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check_manpage.py HYPNICD MANPAGE")
    binary, man = sys.argv[1], sys.argv[2]
    top = help_text(binary, [])
    man_global, man_subs = man_layout(man)
    problems = []

    top_opts, _ = help_options(top)
    top_opts.add("--version")  # CLI11 prints the version flag among the options too
    if man_global != top_opts:
        problems.append(f"global options: --help has {sorted(top_opts)}, the man page {sorted(man_global)}")

    help_subs = help_subcommands(top)
    if not help_subs:
        problems.append("`hypnicd --help` lists no subcommands (help format changed?)")
    if sorted(help_subs) != sorted(man_subs):
        problems.append(f"subcommands: --help has {sorted(help_subs)}, the man page {sorted(man_subs)}")
    for sub in help_subs:
        opts, pos = help_options(help_text(binary, [sub]))
        m_opts, m_pos = man_subs.get(sub, (set(), set()))
        if opts != m_opts:
            problems.append(f"{sub}: only in --help {sorted(opts - m_opts)}, only in the man page {sorted(m_opts - opts)}")
        if pos != m_pos:
            problems.append(f"{sub}: positionals --help {sorted(pos)}, man page {sorted(m_pos)}")

    if problems:
        print(f"{man} and `{binary} --help` disagree:")
        for p in problems:
            print("  " + p)
        return 1
    print(f"man page and --help agree: {len(help_subs)} subcommands, "
          f"{sum(len(o) for o, _ in man_subs.values())} subcommand options")
    return 0


if __name__ == "__main__":
    sys.exit(main())
