"""Publishing: only images whose checks passed in this run, under the matrix's tag scheme plus an
immutable tag (date and source revision)."""

from __future__ import annotations

import datetime
import subprocess

import dagger

from . import matrix
from .checks.result import ImageResult


def revision() -> str:
    """The source revision, for the immutable tag and the revision label ('unknown' outside git)."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def immutable_tag(rev: str, today: datetime.date | None = None) -> str:
    return f"{(today or datetime.datetime.now(datetime.UTC).date()):%Y%m%d}-{rev}"


def references(registry: str, image: matrix.Image, rev: str) -> list[str]:
    """REGISTRY/NS/jupyter-4.1.1-gpu:latest and the immutable REGISTRY/NS/jupyter-4.1.1-gpu:20261125-<rev>."""
    return [f"{registry}/{image.name}:latest", f"{registry}/{image.name}:{immutable_tag(rev)}"]


def refuse_unchecked(result: ImageResult | None, name: str) -> None:
    if result is None or not result.passed:
        why = "was not checked in this run" if result is None else "failed its checks"
        raise PermissionError(f"refusing to publish {name}: it {why}")


async def push(
    ctr: dagger.Container,
    refs: list[str],
    username: str | None = None,
    password: dagger.Secret | None = None,
) -> list[str]:
    """Push to every reference; returns each reference with its digest."""
    if password is not None:
        host = refs[0].split("/")[0]
        ctr = ctr.with_registry_auth(host, username or "", password)
    return [await ctr.publish(ref) for ref in refs]
