"""The images' direct Python dependencies: the pins of requirements/jupyter-LINE.in, how far
`make update-versions` moves each, and which are behind their newest release.

A pin's line may say how far the updater moves it: `# updates: minor` (the default: to the newest
release of the same major version), `# updates: patch` (of the same major.minor) or `# updates: hold`
(never); the comment above it says why. "Newest" is the newest final release that installs on the
images' Python, as PyPI had it when the updater last ran: NEWEST_FILE, with that date. The report
lists every pin behind it (report.py), so what is held back is said, not hidden.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

REQUIREMENTS: Final = Path(__file__).resolve().parent.parent / "requirements"
NEWEST_FILE: Final = REQUIREMENTS / "pypi-newest.json"  # written by `make update-versions`
POLICIES: Final = ("minor", "patch", "hold")
FINAL: Final = re.compile(r"^\d+(\.\d+)*$")
_NAME_VERSION = r"^(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*)==(?P<version>[^\s#]+)"
_PIN = re.compile(_NAME_VERSION + r"\s*(?:#\s*updates:\s*(?P<policy>\S+))?")


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    policy: str = "minor"

    def allows(self, candidate: str) -> bool:
        """Whether the updater may move this pin to candidate (a final release)."""
        same = {"minor": 1, "patch": 2, "hold": len(version_key(self.version)) + 1}[self.policy]
        return version_key(candidate)[:same] == version_key(self.version)[:same]


def in_file(line: str) -> Path:
    return REQUIREMENTS / f"jupyter-{line}.in"


def lines() -> list[str]:
    """The Spark lines that have an .in file, oldest first."""
    found = (p.name.removeprefix("jupyter-").removesuffix(".in") for p in REQUIREMENTS.glob("jupyter-*.in"))
    return sorted(found, key=version_key)


def pins(text: str, source: str = "requirements") -> list[Pin]:
    """The `name==version` lines of an .in file's text, each with its update policy."""
    found = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not (m := _PIN.match(raw)):
            if raw.strip() and not raw.lstrip().startswith("#"):
                raise ValueError(f"{source}:{number}: {raw!r} is not `name==version` (pins only)")
            continue
        policy = m["policy"] or "minor"
        if policy not in POLICIES:
            raise ValueError(f"{source}:{number}: `# updates: {policy}`: valid are {', '.join(POLICIES)}")
        found.append(Pin(m["name"].lower(), m["version"], policy))
    return found


def line_pins(line: str) -> list[Pin]:
    path = in_file(line)
    return pins(path.read_text(), path.name)


def common_pin(name: str) -> str:
    """The version every line pins `name` at (a label's value); an error if the lines differ."""
    found = {line: p.version for line in lines() for p in line_pins(line) if p.name == name}
    if len(set(found.values())) != 1:
        raise ValueError(f"requirements/jupyter-*.in: {name} must be pinned once per line, at one version: {found}")
    return next(iter(found.values()))


def choose(pin: Pin, releases: list[str]) -> str:
    """The version the updater pins: the newest release the policy allows, never older than the pin."""
    allowed = [v for v in releases if FINAL.match(v) and pin.allows(v)]
    return max([pin.version, *allowed], key=version_key)


def repinned(text: str, versions: dict[str, str]) -> str:
    """An .in file's text with the pins of `versions` ({name: version}) changed, all else kept."""

    def swap(m: re.Match) -> str:
        return f"{m['name']}=={versions.get(m['name'].lower(), m['version'])}"

    pattern = re.compile(_NAME_VERSION, re.M)
    return pattern.sub(swap, text)


def load_newest(path: Path = NEWEST_FILE) -> dict:
    """{"checked": date, "python": version, "newest": {name: version}}, or {} before the first update."""
    return json.loads(path.read_text()) if path.exists() else {}


def behind(line: str, newest: dict) -> list[tuple[Pin, str]]:
    """The line's pins older than their newest release, with it."""
    known = newest.get("newest", {})
    return [
        (p, known[p.name])
        for p in line_pins(line)
        if p.name in known and version_key(known[p.name]) > version_key(p.version)
    ]
