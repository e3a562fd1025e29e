"""Check results and the one way a check is run: bounded, its failure captured, never raised."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Literal

import anyio
import dagger

Status = Literal["passed", "failed", "skipped"]


@dataclass
class CheckResult:
    name: str
    status: Status
    seconds: float
    detail: str


def label(image: str, platform: str, emulated: bool) -> str:
    """An image's name, with the platform where it is emulated (not the engine's): jupyter-4.1.1 (linux/arm64)."""
    return f"{image} ({platform})" if emulated else image


@dataclass
class ImageResult:
    """One platform of one image: its checks and what was checked."""

    image: str
    checks: list[CheckResult] = field(default_factory=list)
    platform: str = ""
    emulated: bool = False  # built and checked under emulation (not on the engine's own platform)
    size_bytes: int | None = None
    digest: str | None = None  # this platform's manifest digest as checked: what archives and pushes carry
    # the multi-platform index that ships the image's checked platforms (set where it has several and
    # all passed): the digest its archive and pushes carry under the image's names
    index: str | None = None
    check_code: str | None = None  # what the checks were: their code's digest (and "+gpu" where the GPU was used)
    checked_at: str | None = None  # when the checks ran (UTC, ISO 8601)
    reused: bool = False  # the checks' results were reused from an earlier run (at checked_at), not run again
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase: engine, build, checks, export
    layers: list[str] = field(default_factory=list)  # this platform's layer digests as checked, base first

    @property
    def label(self) -> str:
        return label(self.image, self.platform, self.emulated)

    @property
    def shipped(self) -> str | None:
        """The digest the image's names carry: its index, or (one platform) its manifest."""
        return self.index or self.digest

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.status != "failed" for c in self.checks)

    def as_dict(self) -> dict:
        return {**asdict(self), "verdict": "passed" if self.passed else "failed"}


def shipping(results: list[ImageResult]) -> dict[str, list[ImageResult]]:
    """The images that ship, each with its platforms' results: every platform passed, a digest recorded."""
    by_name: dict[str, list[ImageResult]] = {}
    for r in results:
        by_name.setdefault(r.image, []).append(r)
    return {n: rs for n, rs in by_name.items() if rs[0].shipped and all(r.passed for r in rs)}


class Skip(Exception):  # noqa: N818 - raised by a check that does not apply here, with the reason
    pass


class CheckFailed(Exception):
    """Raised by a check that found the image wrong, with what was wrong (never `assert`: python -O drops it)."""


async def run_check(name: str, check: Callable[[], Awaitable[str]], timeout: float) -> CheckResult:
    """Run one check under a deadline; a failure becomes a failed result with a readable reason. A
    deadline of 0 is the caller's request to skip it (limits.py)."""
    start = time.monotonic()
    if timeout == 0:
        return CheckResult(name, "skipped", 0.0, f"skipped at the caller's request (--limits {name}=0)")
    try:
        with anyio.fail_after(timeout):
            detail = await check()
        status: Status = "passed"
    except Skip as skip:
        status, detail = "skipped", str(skip)
    except TimeoutError:
        status, detail = "failed", f"timed out after {timeout:.0f}s"
    except dagger.ExecError as err:
        status, detail = "failed", exec_failure(err)
    except CheckFailed as err:
        status, detail = "failed", str(err)
    except Exception as err:  # noqa: BLE001 - anything else still fails this check, never the run
        status, detail = "failed", f"{type(err).__name__}: {err}"
    return CheckResult(name, status, round(time.monotonic() - start, 1), detail.strip())


def exec_failure(err: dagger.ExecError) -> str:
    """The probe's own words (its last lines), not the engine's wrapping."""
    tail = (err.stderr or err.stdout or str(err)).strip().splitlines()[-15:]
    return "\n".join(tail)
