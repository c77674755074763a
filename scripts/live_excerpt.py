#!/usr/bin/env python3
"""Cuts the first minutes in bed out of a capture and moves them to start now, for a live demo.

Writes <out>/presence.txt (the presence payload) and <out>/accel.txt (one accel payload per line,
their sample times shifted so that they start a moment after now, when the presence message has
just arrived), ready for mosquitto_pub. The daemon takes sample times from the payloads, so batches
sent faster than real time are still placed correctly.
"""
import gzip
import json
import sys
import time


def main(capture: str, out_dir: str, seconds: float) -> int:
    opener = gzip.open if capture.endswith(".gz") else open
    presence = None
    accel = []
    start = None
    with opener(capture, "rt", encoding="utf-8") as f:
        for raw in f:
            line = json.loads(raw)
            if presence is None:
                if line["topic"].endswith("/presence") and line["payload"].strip().upper() == "ON":
                    presence = line
                    start = line["ts"]
                continue
            if line["ts"] - start > seconds:
                break
            if line["topic"].endswith("/accel"):
                accel.append(line)
    if presence is None or not accel:
        print(f"{capture}: no in-bed stretch with accelerometer data found", file=sys.stderr)
        return 1
    shift = time.time() + 1.0 - accel[0]["ts"]
    with open(f"{out_dir}/presence.txt", "w", encoding="utf-8") as f:
        f.write(presence["payload"])
    with open(f"{out_dir}/accel.txt", "w", encoding="utf-8") as f:
        for line in accel:
            payload = json.loads(line["payload"])
            payload["t0"] = round(payload["t0"] + shift, 3)
            f.write(json.dumps(payload, separators=(",", ":")) + "\n")
    print(f"{len(accel)} accelerometer batches, {seconds:.0f} s of the sample night moved to start now")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 180))
