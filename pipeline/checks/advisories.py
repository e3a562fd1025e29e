"""Advisories check: the jars with known advisories that the image bundles are exactly the ones whose
decision pipeline/advisories.json records (replaced, or kept and why the advisory does not apply). A
Spark release that brings another version of such a jar fails the check until the decision is reviewed.

It reads the image's jar folder through the engine's API (no process in the image, so it costs the same
under emulation); its detail is the decisions, as the report shows them."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from .. import catalog, paths
from .result import CheckFailed
from .services import Services

NOTHING = "no bundled jar with a known advisory"
DATA = Path(__file__).resolve().parent.parent / "advisories.json"


@cache
def advisories() -> dict[str, dict]:
    return {name: entry for name, entry in json.loads(DATA.read_text()).items() if not name.startswith("_")}


def jar_pattern(entry: dict) -> re.Pattern[str]:
    """A jar file of one of the advisory's artifacts, any version: derby-10.16.1.1.jar (groups: the
    artifact's `name` and the `version`)."""
    names = "|".join(re.escape(artifact.split(":")[1]) for artifact in entry["artifacts"])
    return re.compile(rf"(?P<name>{names})-(?P<version>\d[\w.-]*)\.jar")


def decided(image: catalog.Image) -> dict[str, list[str]]:
    """Advisory -> the jars of the image's Spark line its decision was made for (none: no decision)."""
    return {name: entry["jars"].get(image.spark.line, []) for name, entry in advisories().items()}


def held_to(image: catalog.Image) -> dict[str, dict]:
    """The decisions the image's check is held to: each advisory as recorded, with its line's jars only."""
    return {name: entry | {"jars": decided(image)[name]} for name, entry in advisories().items()}


def verdict(image: catalog.Image, jars: list[str]) -> str:
    """The check's detail from the image's jar folder, or CheckFailed naming the jars no decision covers."""
    lines, wrong = [], []
    for name, entry in advisories().items():
        found = sorted(jar for jar in jars if jar_pattern(entry).fullmatch(jar))
        expected = sorted(decided(image)[name])
        if found != expected:
            wrong.append(f"{name}: {paths.SPARK_JARS} holds {found or 'none'}, decided for {expected or 'none'}")
        elif found:
            lines.append(f"{name} ({', '.join(found)}): {entry['decision']}, {entry['status']}: {entry['why']}")
    if wrong:
        raise CheckFailed(f"{'; '.join(wrong)}: review the decision in pipeline/advisories.json")
    return "\n".join(lines) or NOTHING


async def check(image: catalog.Image, services: Services) -> str:
    return verdict(image, await services.image.directory(paths.SPARK_JARS).entries())
