"""Benchmarks: unchanged-rebuild time of the whole matrix (median of N runs), per-image check
time, and image sizes. Run after `make build-all` (the cold build): `make bench`.

The rebuild must be all cache hits: every layer is keyed by its inputs, so an unchanged matrix
costs only the engine's cache lookups.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import anyio
import dagger

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline import images, matrix, recipe  # noqa: E402


async def rebuild_all(opts: recipe.BuildOptions) -> float:
    start = time.monotonic()
    async with anyio.create_task_group() as tg:
        for image in matrix.images():
            tg.start_soon(images.build(image, opts).sync)
    return time.monotonic() - start


async def main(runs: int, report: Path) -> None:
    async with dagger.connection(dagger.Config(log_output=None)):
        times = [await rebuild_all(recipe.BuildOptions()) for _ in range(runs)]
    print(
        f"unchanged rebuild of {len(matrix.images())} images: median {statistics.median(times):.1f}s "
        f"over {runs} runs ({', '.join(f'{t:.1f}' for t in times)})"
    )
    if report.exists():
        rows = json.loads(report.read_text())
        per_image = [sum(c["seconds"] for c in r["checks"]) for r in rows]
        print(f"checks per image ({report}): median {statistics.median(per_image):.0f}s, max {max(per_image):.0f}s")
        for r in rows:
            size = f"{r['size_bytes'] / 1e9:.2f} GB" if r["size_bytes"] else "?"
            print(
                f"  {r['image']:<27} {size:>8}  build {r['build_seconds'] or 0:>5.0f}s  "
                f"checks {sum(c['seconds'] for c in r['checks']):>4.0f}s  {r['verdict']}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--report", type=Path, default=Path("build/reports/report.json"))
    args = parser.parse_args()
    anyio.run(main, args.runs, args.report)
