"""The cost of an emulated platform: a cold build of one image (its Spark base and Jupyter layer) for
each platform, one after the other, and the ratio of each to the engine's own: `make bench-platforms`.

Cold: every build step runs again (a new --refresh value per build, so nothing is reused from the
engine's cache or from the other platform's build); the pip/uv download cache and the base image stay
(a fresh machine downloads those once more). Run on an idle engine: the ratio is what it measures.

--ca-bundle: CAs the builds trust (as build-all's), for an engine that trusts none itself
(DAGGER_ENGINE_CA_DIR): an engine that trusts extra CAs installs them around every exec, under
emulation too (docs/platforms.md).
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

import anyio
import dagger

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline import catalog, orchestrate, recipe, releases  # noqa: E402


async def cold_build(image: catalog.Image, platform: str, ca_bundle: str | None) -> float:
    cas = dagger.dag.host().file(ca_bundle) if ca_bundle else None
    opts = recipe.BuildOptions(refresh=f"bench-{uuid.uuid4()}", ca_bundle=cas)
    start = time.monotonic()
    await orchestrate.container(image, opts, platform).sync()
    return time.monotonic() - start


async def main(args: argparse.Namespace) -> None:
    image = catalog.image(args.spark_version, args.variant)
    async with dagger.connection(dagger.Config(log_output=None)):
        native = await orchestrate.engine_platform()
        seconds = {}
        for platform in sorted(image.platforms, key=lambda p: p != native):  # the engine's own first
            seconds[platform] = await cold_build(image, platform, args.ca_bundle)
            print(f"{image.name} {platform}: cold build {seconds[platform]:.0f}s", flush=True)
    for platform, took in seconds.items():
        if platform != native:
            print(f"{platform} (emulated) / {native} (native): {took / seconds[native]:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spark-version", default=releases.SPARK_RELEASES[-1].version)
    parser.add_argument("--variant", default="baseline")
    parser.add_argument("--ca-bundle", help="a PEM bundle the builds trust (curl, pip, uv), never kept")
    anyio.run(main, parser.parse_args())
