"""The host's CPU use while a command runs: `make bench-cpu` (a build-all) or `scripts/cpu_use.py -- CMD`.

Samples /proc/stat every INTERVAL seconds and prints, for the command's whole run: its wall time, the
cores busy on average (of the host's), and the share of the samples in which all cores were busy
(>= 90%), half or more, or less than one core. The engine's work counts: it runs on the same host.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def busy_and_total() -> tuple[int, int]:
    """Jiffies spent busy and in all, over every core (/proc/stat's first line)."""
    with open("/proc/stat") as stat:
        fields = [int(f) for f in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def percent(shares: list[float], test) -> str:
    return f"{100 * sum(map(test, shares)) / len(shares):.0f}%"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between samples (default 5)")
    parser.add_argument("command", nargs="+", help="the command to run, after --")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    start, last = time.monotonic(), busy_and_total()
    first = last
    process = subprocess.Popen(args.command)
    shares = []  # cores busy, per sample
    while process.poll() is None:
        time.sleep(args.interval)
        now = busy_and_total()
        if now[1] > last[1]:
            shares.append(cores * (now[0] - last[0]) / (now[1] - last[1]))
        last = now
    wall = time.monotonic() - start
    end = busy_and_total()
    average = cores * (end[0] - first[0]) / max(end[1] - first[1], 1)
    print(f"cpu use of `{' '.join(args.command)}` (exit {process.returncode}), {len(shares)} samples:")
    print(f"  wall {wall / 60:.0f} min {wall % 60:.0f} s; busy {average:.2f} of {cores} cores on average")
    if shares:
        print(
            f"  samples with all cores busy (>= 90%): {percent(shares, lambda s: s >= 0.9 * cores)}; half or "
            f"more: {percent(shares, lambda s: s >= cores / 2)}; under one core: {percent(shares, lambda s: s < 1)}; "
            f"median {statistics.median(shares):.2f}"
        )
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
