"""What one exec costs in a check run's container: the image's PATH against the check run's (the image's
less its sbin folders, pipeline/checks/services.py), each exec a `true` in a container new to the
engine. An engine that trusts extra CAs runs the container's update-ca-certificates, and Java's keystore
hook, around every exec where it finds the command: the difference is that hook's cost.

usage: scripts/exec_cost.py [--spark-version 4.1.1] [--variant baseline] [--runs 6] (the engine's
environment set, as `make bench` does: the image is built first if the engine has not cached it)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

import anyio
import dagger

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline import catalog, orchestrate, recipe  # noqa: E402
from pipeline.checks.services import without_sbin  # noqa: E402


async def main(args: argparse.Namespace) -> None:
    async with dagger.connection(dagger.Config(log_output=None)):
        platform = await orchestrate.engine_platform()
        ctr = orchestrate.container(catalog.image(args.spark_version, args.variant), recipe.BuildOptions(), platform)
        await ctr.sync()
        path = await ctr.env_variable("PATH")
        for label, value in (("the image's PATH", path), ("the check run's PATH (no sbin)", without_sbin(path))):
            seconds = []
            for _ in range(args.runs):
                fresh = ctr.with_env_variable("PATH", value).with_env_variable("EXEC_COST_RUN", uuid.uuid4().hex)
                start = time.monotonic()
                await fresh.with_exec(["true"]).sync()
                seconds.append(time.monotonic() - start)
            said = ", ".join(f"{s:.2f}" for s in seconds)
            print(f"{label}: median {statistics.median(seconds):.2f} s an exec ({said})", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spark-version", default="4.1.1")
    parser.add_argument("--variant", default="baseline")
    parser.add_argument("--runs", type=int, default=6)
    anyio.run(main, parser.parse_args())
