"""Benchmarks of the main job, run after a `make build-all` (the cold one): `make bench`.

1. The cold run's phases, from its report (build/reports/report.json): per image and per phase
   (engine session, build, checks, export), medians and totals; the checks' median native and
   emulated (a run with --platform all), and each check's median where it ran natively (the checks
   run side by side, so these overlap: their sum is more than the checks' phase).
2. The warm path: `python -m pipeline build-all` again, N times, with nothing changed: wall time of
   each (median), and its phases (checks reused, archives not rewritten).
3. The archive: bytes of the combined archive against its distinct blob bytes, and against what one
   archive per image would hold (every shared layer again).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pipeline.orchestrate import PHASES  # noqa: E402
from pipeline.shipping import COMBINED  # noqa: E402


def phases(report: Path, title: str) -> list[dict]:
    rows = json.loads(report.read_text())
    print(f"{title} ({len(rows)} images, {report}):")
    for phase in PHASES:
        values = [r["phases"].get(phase, 0.0) for r in rows]
        print(
            f"  {phase:<7} median {statistics.median(values):6.1f}s  max {max(values):6.1f}s  total {sum(values):7.1f}s"
        )
    print(
        f"  checks reused: {sum(r['reused'] for r in rows)} of {len(rows)}; passed: "
        f"{sum(r['verdict'] == 'passed' for r in rows)}"
    )
    for emulated in (False, True):  # the checks' time by where they ran, run (not reused) only
        ran = [r["phases"]["checks"] for r in rows if r.get("emulated", False) == emulated and not r["reused"]]
        if ran:
            where, spread = "emulated" if emulated else "native", f"{min(ran):.0f}-{max(ran):.0f}s"
            print(f"  checks, {where}: median {statistics.median(ran):.1f}s over {len(ran)} images ({spread})")
    native = [r for r in rows if not r.get("emulated", False) and not r["reused"]]
    for name in dict.fromkeys(c["name"] for r in native for c in r["checks"]):  # each check run natively
        ran = [c["seconds"] for r in native for c in r["checks"] if c["name"] == name and c["status"] != "skipped"]
        if ran:
            print(f"    {name:<14} median {statistics.median(ran):5.1f}s  max {max(ran):5.1f}s  ({len(ran)} images)")
    return rows


def warm(runs: int, output: Path, build_args: list[str]) -> None:
    times = []
    for _ in range(runs):
        start = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "pipeline", "build-all", "-o", str(output), *build_args],
            cwd=ROOT,
            check=True,
            stderr=subprocess.DEVNULL,
        )
        times.append(time.monotonic() - start)
    print(
        f"warm build-all, nothing changed: median {statistics.median(times):.1f}s over {runs} runs "
        f"({', '.join(f'{t:.1f}' for t in times)})"
    )
    phases(output / "reports" / "report.json", "  the last warm run's phases")


def archive(path: Path) -> None:
    if not path.exists():
        print(f"no {path}: run build-all with --archives combined or both")
        return
    with tarfile.open(path) as tar:
        sizes = {m.name: m.size for m in tar if m.name.startswith("blobs/")}
        images = json.load(tar.extractfile("manifest.json"))
    per_image = sum(sizes[i["Config"]] + sum(sizes[layer] for layer in i["Layers"]) for i in images)
    distinct, total = sum(sizes.values()), path.stat().st_size
    print(
        f"{path.name}: {len(images)} images, {total / 1e9:.2f} GB for {distinct / 1e9:.2f} GB of distinct blobs "
        f"({total / distinct:.3f}x); one archive per image would hold {per_image / 1e9:.2f} GB "
        f"({per_image / distinct:.2f}x)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="warm runs (default 3)")
    parser.add_argument("--output", type=Path, default=ROOT / "build", help="build-all's output (default build/)")
    parser.add_argument("build_args", nargs=argparse.REMAINDER, help="after --: build-all's (--platform linux/amd64)")
    args = parser.parse_args()
    phases(args.output / "reports" / "report.json", "cold run")
    archive(args.output / "images" / COMBINED)
    warm(args.runs, args.output, [a for a in args.build_args if a != "--"])
