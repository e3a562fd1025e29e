"""Seed the engine's local registry with base images built on this machine.

The engine resolves Docker Hub references through the registry inside its container
(engine/engine.json), so pipeline code keeps upstream names like debian:bookworm-slim.
Images come from the host's Docker daemon (scripts/engine.sh builds them from Debian packages).
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import anyio
import dagger
from dagger import dag

REGISTRY = "localhost:5000"
IMAGES = ["debian:bookworm-slim"]


async def present(ref: str) -> bool:
    """True when the registry already serves ref (asked directly, not through the mirror)."""
    try:
        await dag.container().from_(f"{REGISTRY}/library/{ref}").id()
    except dagger.QueryError:
        return False
    return True


async def seed(ref: str, workdir: Path) -> None:
    tarball = workdir / f"{ref.replace(':', '_')}.tar"
    subprocess.run(["docker", "save", "-o", str(tarball), ref], check=True)
    image = dag.container().import_(dag.host().file(str(tarball)))
    published = await image.publish(f"{REGISTRY}/library/{ref}")
    print(f"seeded {published}", file=sys.stderr)


async def main() -> None:
    async with dagger.connection(dagger.Config(log_output=None)):
        with tempfile.TemporaryDirectory() as tmp:
            for ref in IMAGES:
                if not await present(ref):
                    await seed(ref, Path(tmp))


if __name__ == "__main__":
    anyio.run(main)
