#!/usr/bin/python3
"""Writes wsx(1) from the wsx binary's own --help texts (wsx, wsx serve, wsx connect, wsx bench), so
the man page cannot drift from the options: usage: wsx_manpage.py WSX OUT."""

import subprocess
import sys


def roff_escape(text):
    out = []
    for line in text.rstrip("\n").split("\n"):
        line = line.replace("\\", "\\e")
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def help_of(wsx, *args):
    p = subprocess.run([wsx, *args, "--help"], capture_output=True, text=True, timeout=30, check=True)
    return p.stdout


def main():
    wsx, out = sys.argv[1], sys.argv[2]
    version = subprocess.run([wsx, "--version"], capture_output=True, text=True, timeout=30,
                             check=True).stdout.strip()
    parts = [
        f'.TH WSX 1 "" "{version}" "User Commands"',
        ".SH NAME",
        "wsx \\- WebSocket server, client and load generator",
        ".SH SYNOPSIS",
        ".B wsx serve\n[\\fIOPTIONS\\fR]\n.br\n.B wsx connect\n\\fIURL\\fR [\\fIOPTIONS\\fR]\n.br\n"
        ".B wsx bench\n\\fIMODE URL\\fR [\\fIOPTIONS\\fR]\n.br\n.B wsx\n[\\fB\\-\\-version\\fR | \\fBhelp\\fR]",
        ".SH DESCRIPTION",
        ".nf",
        roff_escape(help_of(wsx)),
        ".fi",
    ]
    for sub, title in (("serve", "WSX-SERVE"), ("connect", "WSX-CONNECT"), ("bench", "WSX-BENCH")):
        parts += [f".SH {title}", ".nf", roff_escape(help_of(wsx, sub)), ".fi"]
    parts += [".SH SEE ALSO", "The README and docs/ of the wsx sources (installed under "
              "share/doc/wsx)."]
    with open(out, "w") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
