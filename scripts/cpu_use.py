"""The host's CPU use while a command runs: `make bench-cpu` (a build-all) or `scripts/cpu_use.py -- CMD`.

Samples /proc/stat every INTERVAL seconds and prints, for the command's whole run: its wall time, the
cores busy on average (of the host's), and the share of the samples in which all cores were busy
(>= 90%), half or more, or less than one core. The engine's work counts: it runs on the same host.
--by-process N also prints the N kinds of process that used the most CPU-seconds meanwhile (a check
run's, e.g. `--by-process 15 -- python -m pipeline test --variant baseline`): /proc sampled every
PROCESS_INTERVAL seconds, each process named by its command (a JVM by its main class or Spark's
launcher's arguments, Python by its script or module); a process shorter than that may be missed.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import statistics
import subprocess
import sys
import threading
import time

PROCESS_INTERVAL = 0.3
TICK = os.sysconf("SC_CLK_TCK")
JVM_MAINS = ("deploy.master.Master", "deploy.worker.Worker", "CoarseGrainedExecutorBackend", "launcher.Main")


def busy_and_total() -> tuple[int, int]:
    """Jiffies spent busy and in all, over every core (/proc/stat's first line)."""
    with open("/proc/stat") as stat:
        fields = [int(f) for f in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def kind(pid: str) -> str | None:
    """What a process is, from its command line (None: gone, or a kernel thread)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return None
    if not argv:
        return None
    program = os.path.basename(argv[0])
    if program == "java":
        if "--class" in argv:  # spark-submit's JVM: the class it runs, else its last arguments
            return "java " + argv[argv.index("--class") + 1].rsplit(".", 1)[-1]
        main = next((m for m in JVM_MAINS if any(a.endswith(m) for a in argv)), None)
        return f"java {main or ' '.join(argv[-2:])[-60:]}"
    if program.startswith("python"):
        script = next((a for a in argv[1:] if not a.startswith("-")), "")
        if match := re.search(r"\b(ipykernel|jupyter-lab|pip|pyspark\.daemon)\b", " ".join(argv)):
            return f"python {match.group(1)}"
        return f"python {os.path.basename(script)}"
    return program


def ticks(pid: str) -> int | None:
    """CPU ticks a process has used (user + system), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


class ByProcess(threading.Thread):
    """CPU-seconds by kind of process, from the processes seen while it runs (those already running
    count from the start)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.before = {pid: ticks(pid) or 0 for pid in os.listdir("/proc") if pid.isdigit()}
        self.seen: dict[str, list] = {}  # pid -> [kind, ticks used]

    def run(self) -> None:
        while not self.stop.wait(PROCESS_INTERVAL):
            for pid in filter(str.isdigit, os.listdir("/proc")):
                used, name = ticks(pid), kind(pid)
                if used is None or name is None:
                    continue
                entry = self.seen.setdefault(pid, [name, 0])
                if entry[0].split()[0] in ("bash", "sh", "python", "env"):  # a wrapper that exec'd (spark-class)
                    entry[0] = name
                entry[1] = used - self.before.get(pid, 0)

    def top(self, n: int) -> list[str]:
        seconds, count = collections.Counter(), collections.Counter()
        for name, used in self.seen.values():
            seconds[name] += used / TICK
            count[name] += 1
        lines = [f"  {s:7.1f} s  {count[name]:4d}x  {name}" for name, s in seconds.most_common(n)]
        return [f"  {sum(seconds.values()):7.1f} s in all, by kind of process:", *lines]


def percent(shares: list[float], test) -> str:
    return f"{100 * sum(map(test, shares)) / len(shares):.0f}%"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between samples (default 5)")
    parser.add_argument("--by-process", type=int, default=0, metavar="N", help="also the N costliest kinds of process")
    parser.add_argument("command", nargs="+", help="the command to run, after --")
    args = parser.parse_args()
    by_process = ByProcess() if args.by_process else None
    if by_process:
        by_process.start()
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
    if by_process:
        by_process.stop.set()
        by_process.join()
        print("\n".join(by_process.top(args.by_process)))
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
