"""Updates check: the image has every Debian update published now. Its apt sources name the release,
its stable updates and its security updates (bookworm, bookworm-updates, bookworm-security), and no
installed package has a newer version there (asked of the archive at check time, as root in the image).

An image built before a Debian security release fails it, naming the packages: the build's steps ran
from the engine's cache (`--refresh` runs them again). What the archive held when an image was
checked is part of what its results are held to (orchestrate.archive_state), so a result is reused
only while the archive's package lists are unchanged.
"""

from __future__ import annotations

import re

from .. import catalog
from .result import CheckFailed
from .services import Services

SUITES = ("bookworm", "bookworm-updates", "bookworm-security")
# the suites apt reads (apt-cache policy's n=CODENAME), then each upgradable package (apt list's lines)
SCRIPT = """
apt-get update -qq 2>&1 | tee /tmp/apt-update.log >&2
if grep -q '^[WE]:' /tmp/apt-update.log; then
  echo "apt-get update failed: $(grep '^[WE]:' /tmp/apt-update.log | head -3)" >&2; exit 1
fi
apt-cache policy | grep -o 'n=[a-z0-9-]*' | sort -u | tr '\\n' ' '
echo
apt list --upgradable 2>/dev/null | sed 1d
"""
UPGRADABLE = re.compile(r"^(?P<name>[^/]+)/(?P<suite>\S+) (?P<new>\S+) \S+ \[upgradable from: (?P<old>[^\]]+)\]")


def verdict(output: str) -> str:
    """The check's detail from SCRIPT's output, or CheckFailed naming what is missing or behind."""
    suites_line, *lines = output.strip().splitlines() or [""]
    suites = {word.removeprefix("n=") for word in suites_line.split()}
    if missing := [s for s in SUITES if s not in suites]:
        raise CheckFailed(f"apt sources lack {', '.join(missing)}: the image cannot get Debian's updates")
    behind = [m for line in lines if (m := UPGRADABLE.match(line))]
    if behind:
        said = ", ".join(f"{m['name']} {m['old']} -> {m['new']} ({m['suite'].split(',')[0]})" for m in behind)
        raise CheckFailed(
            f"{len(behind)} Debian packages have newer versions than the image's: {said}; "
            "rebuild with --refresh (e.g. --refresh $(date +%F)) to run the build steps again"
        )
    return f"every Debian package at its newest in {', '.join(SUITES)} (asked of the archive now)"


async def check(image: catalog.Image, services: Services) -> str:  # noqa: ARG001 - every image
    out = await services.runner().with_user("0").with_exec(["bash", "-euo", "pipefail", "-c", SCRIPT]).stdout()
    return verdict(out)
