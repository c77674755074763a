#!/usr/bin/env python3
"""Prints what a dashboard subscribed to hypnic/# received: counts, a few events, the night summary."""
import collections
import json
import sys


def main(path: str) -> int:
    by_topic = collections.Counter()
    events = []
    night = None
    advice = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            topic, _, payload = raw.rstrip("\n").partition(" ")
            by_topic[topic] += 1
            if topic.endswith("/event"):
                events.append(payload)
            elif topic.endswith("/night"):
                night = payload
            elif topic.endswith("/advice"):
                advice = payload
    for topic, n in sorted(by_topic.items()):
        print(f"  {n:6d}  {topic}")
    if events:
        print("\n  first movement events:")
        for e in events[:5]:
            print("   ", e)
    if not night:
        print("\n  no night summary was published")
        return 1
    n = json.loads(night)
    print("\n== the night of", n.get("night"))
    rows = [
        ("in bed", n.get("in_bed")),
        ("lights out", n.get("lights_out")),
        ("asleep", n.get("sleep_onset")),
        ("time to fall asleep", f"{n['onset_latency_min']:.0f} min" if n.get("onset_latency_min") is not None else None),
        ("out of bed", n.get("out_of_bed")),
        ("twitches while falling asleep", n.get("onset_twitches")),
        ("twitches in the night", f"{n.get('twitches')} ({n.get('twitch_index', 0):.1f}/h)"),
        ("limb movements", n.get("limb_movements")),
        ("periodic limb movement series", f"{n.get('plm_series')} (PLM index {n.get('plm_index', 0):.1f}/h)"),
        ("large movements", n.get("large_movements")),
        ("twitch-heavy", f"{'yes' if n.get('twitch_heavy') else 'no'} - {n.get('heavy_reason', '')}"),
        ("sensor", f"{n.get('sensor_resolution')}, coverage {100 * (n.get('coverage') or 0):.0f} %"),
    ]
    for label, value in rows:
        print(f"  {label:32s} {value if value is not None else '-'}")
    if advice:
        items = json.loads(advice).get("items", [])
        if items:
            print("\n== advice")
            for it in items:
                print(f"  [{it.get('id')}] {it.get('text')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
