#!/usr/bin/python3
# The echo handler as a program (served at /py/echo): each text message arrives as one line on
# stdin, each line printed is one message back. Ending the program closes the WebSocket (1000).
import sys

for line in sys.stdin:
    line = line.rstrip("\n")
    print(line, flush=True)
    if line == "Goodbye":
        break
