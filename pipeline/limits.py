"""Every wait the pipeline makes, in seconds, in one place. The module's `--limits` option overrides
any of them for one run (e.g. `--limits build=3600,push=1800` for a slow mirror or registry); a check's
limit of 0 skips that check for a quick run (e.g. `--limits cluster=0`), reported as skipped and why."""

from __future__ import annotations

import math
from typing import Final

from .errors import UsageError

WAITS: Final[dict[str, float]] = {
    "build": 2400,  # one image's build, its downloads included
    "push": 900,  # one reference pushed to the registry
    "export": 1800,  # one archive written to the host
    "ship": 1800,  # one multi-platform image's index: its archive made and its manifests verified
    "prepare": 120,  # a check run's shared bytecode cache made writable (before its checks)
    "stop": 60,  # a check run's services stopped (each)
    "check-code": 120,  # the digest of the checks' code and probes
    "service-log": 60,  # replaying a failed service's output for the report
}
# each check (every wait inside its probe is bounded by less); 0 skips it. The one list of the checks,
# in the report's order (checks.CHECKS)
CHECK_LIMITS: Final[dict[str, float]] = {
    "size": 240,
    "jupyterlab": 240,
    "spark-connect": 240,
    "iceberg": 240,
    "any-uid": 300,
    "redaction": 240,
    "rapids": 300,
    "gpu": 360,
    "facts": 240,
    "updates": 240,
    "advisories": 60,
    "cluster": 300,
}
DEFAULTS: Final[dict[str, float]] = {**WAITS, **CHECK_LIMITS}
# Platforms other than the engine host's run under emulation (QEMU user-mode): their builds and checks
# get this many times the waits above (a JVM starts about 10x slower there).
EMULATION_SLOWDOWN: Final = 8


def for_platform(limits: dict[str, float], emulated: bool) -> dict[str, float]:
    return {name: seconds * EMULATION_SLOWDOWN for name, seconds in limits.items()} if emulated else limits


# curl in the build steps: retried, each try bounded. Fixed (not overridable): the flags are part of the
# build steps, so of the images' cache keys and the rendered Dockerfiles.
CURL = "curl -fsSL --retry 5 --retry-all-errors --retry-delay 2 --connect-timeout 30 --max-time 1200"


def parse(overrides: str) -> dict[str, float]:
    """The defaults with NAME=SECONDS,... applied; a clear error for an unknown name or a bad value."""
    limits = dict(DEFAULTS)
    for item in filter(None, (part.strip() for part in overrides.split(","))):
        name, _, value = item.partition("=")
        if name not in DEFAULTS:
            raise UsageError(f"unknown limit {name!r} in --limits; valid: {', '.join(DEFAULTS)}")
        try:
            seconds = float(value)
        except ValueError:
            seconds = 0
        skip = seconds == 0 and name in CHECK_LIMITS
        if not (math.isfinite(seconds) and (seconds > 0 or skip)):  # nan and inf would fail every wait or remove it
            zero = " (or 0 to skip the check)" if name in CHECK_LIMITS else ""
            raise UsageError(f"--limits {item!r}: expected {name}=SECONDS, a positive finite number{zero}")
        limits[name] = seconds
    return limits
