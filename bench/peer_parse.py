#!/usr/bin/env python3
"""The replay benchmark's peer: parse a hypnic capture with the standard json module only.

Each line is parsed, then the payload string inside it, as a hub user's own script would; nothing
is detected. Prints the number of lines and payload samples so the work cannot be skipped.
"""
import json
import sys


def main(path):
    lines = samples = 0
    with open(path, "rb") as f:
        for raw in f:
            msg = json.loads(raw)
            payload = msg.get("payload")
            lines += 1
            if isinstance(payload, str) and payload[:1] == "{":
                body = json.loads(payload)
                samples += len(body.get("xyz", ()))
    print(f"lines {lines} samples {samples}")


if __name__ == "__main__":
    main(sys.argv[1])
