"""Seed the engine's local registry with base images built on this machine, one multi-platform
image (OCI index) per name, for every platform the matrix builds (pipeline.product.PLATFORMS).

The engine resolves Docker Hub references through the registry inside its container
(offline/engine/engine.json), so pipeline code keeps upstream names like debian:bookworm-slim.
offline/engine.sh builds them from Debian packages: the native platform's in the host's Docker
daemon, the emulated platform's as an OCI archive in .cache/engine (NAME_TAG-ARCH.oci.tar).
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import anyio
import dagger
from dagger import dag

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline import catalog, product  # noqa: E402

REGISTRY = "localhost:5000"
IMAGES = ["debian:bookworm-slim"]
CACHE = Path(__file__).resolve().parent.parent / ".cache" / "engine"


async def present(ref: str) -> bool:
    """True when the registry serves ref for every platform (asked directly, not through the mirror)."""
    for platform in product.PLATFORMS:
        try:
            ctr = dag.container(platform=dagger.Platform(platform)).from_(f"{REGISTRY}/library/{ref}")
            served = (await ctr.with_exec(["dpkg", "--print-architecture"]).stdout()).strip()
        except dagger.DaggerError:
            return False
        if served != catalog.arch(platform):
            return False
    return True


def archive(ref: str, platform: str, native: str, workdir: Path) -> Path:
    if platform == native:  # the host's: its images come from the Docker daemon
        tarball = workdir / f"{ref.replace(':', '_')}.tar"
        subprocess.run(["docker", "save", "-o", str(tarball), ref], check=True)
        return tarball
    tarball = CACHE / f"{ref.replace(':', '_')}-{catalog.arch(platform)}.oci.tar"
    if not tarball.is_file():
        sys.exit(f"seed: {tarball} is missing: offline/engine.sh builds it (make engine)")
    return tarball.resolve()  # a link into the machine's cache: the engine reads the file itself


async def seed(ref: str, workdir: Path) -> None:
    native = catalog.native(str(await dag.default_platform()))
    variants = [
        dag.container(platform=dagger.Platform(p)).import_(dag.host().file(str(archive(ref, p, native, workdir))))
        for p in product.PLATFORMS
    ]
    published = await variants[0].publish(f"{REGISTRY}/library/{ref}", platform_variants=variants[1:])
    print(f"seeded {published} ({', '.join(product.PLATFORMS)})", file=sys.stderr)


async def main() -> None:
    async with dagger.connection(dagger.Config(log_output=None)):
        with tempfile.TemporaryDirectory() as tmp:
            for ref in IMAGES:
                if not await present(ref):
                    await seed(ref, Path(tmp))


if __name__ == "__main__":
    anyio.run(main)
