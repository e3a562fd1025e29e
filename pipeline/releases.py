"""Release facts: Spark releases, their pyspark sdists, the jars and their checksums, from one data file,
pipeline/versions.json (written by `make update-versions`, scripts/update_versions.py), loaded and
validated here against what the product declares (product.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from . import paths
from .errors import UsageError
from .product import PLATFORMS, VARIANT_FEATURES, VARIANTS, Variant

VERSIONS_FILE: Final = Path(__file__).resolve().parent / "versions.json"


PYPI_FILES: Final = "https://files.pythonhosted.org/packages"


MAVEN_CENTRAL: Final = "https://repo1.maven.org/maven2"


@dataclass(frozen=True)
class MavenJar:
    """A jar on a Maven repository: Maven's SHA-1 (what the updater verified the download with),
    the SHA-256 the updater computed from it (what builds verify) and its size."""

    group: str
    artifact: str
    version: str
    sha1: str
    sha256: str
    size: int  # bytes (what it adds to an image)
    # set where this jar stands in for a version Maven does not serve: why, in words
    stand_in: str = ""
    classifier: str = ""  # Maven's classifier of a platform's build (cuda12-arm64), "" for the plain jar

    @property
    def filename(self) -> str:
        return f"{self.artifact}-{self.version}{'-' + self.classifier if self.classifier else ''}.jar"

    def path(self) -> str:
        return f"{self.group.replace('.', '/')}/{self.artifact}/{self.version}/{self.filename}"


@dataclass(frozen=True)
class Rapids:
    """The RAPIDS Accelerator of a Spark line: one release, a jar per platform (native code inside,
    NVIDIA publishes each platform's build under its own classifier), the Spark shims they ship."""

    version: str
    jars: tuple[tuple[str, MavenJar], ...]  # (platform, jar) in PLATFORMS' order: where RAPIDS images are built
    shims: tuple[str, ...]  # Spark versions of this line with a shim in the jar (spark3xx/ folders)
    # The plugin starts the GPU even with spark.rapids.sql.mode=explainOnly and stops without one
    # (25.04): only then may the check fall back to the jar's CPU-side ExplainPlan API.
    explain_needs_gpu: bool

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(p for p, _ in self.jars)

    def jar(self, platform: str) -> MavenJar:
        """The jar built for a platform (a KeyError for one the data file lists none for)."""
        return dict(self.jars)[platform]


@dataclass(frozen=True)
class SparkLine:
    """What all patch releases of one Spark minor line share."""

    version: str  # "4.1"
    scala: str
    java: str  # the Java major of the image's JRE (Debian's openjdk-N-jre-headless)
    # Maven artifact of the Connect server, for lines whose distribution lacks it (3.5); None: shipped
    connect_artifact: tuple[str, str] | None  # (group, artifact)
    iceberg: MavenJar
    rapids: Rapids
    variants: tuple[Variant, ...]

    @property
    def java_home(self) -> str:
        return paths.java_home(self.java)


@dataclass(frozen=True)
class SparkRelease:
    """One Spark release: the pyspark sdist on PyPI carries its jars and scripts."""

    version: str
    sdist_path: str  # under PYPI_FILES
    sdist_sha256: str
    connect_jar: MavenJar | None = None  # the Connect server jar added to this release (3.5.x)

    @property
    def line(self) -> str:
        return ".".join(self.version.split(".")[:2])


def _jar(d: dict[str, Any], group: str = "", artifact: str = "", version: str = "") -> MavenJar:
    return MavenJar(
        d.get("group", group),
        d.get("artifact", artifact),
        d.get("version", version),
        d["sha1"],
        d["sha256"],
        d["size"],
        d.get("stand_in", ""),
        d.get("classifier", ""),
    )


def _rapids(line: str, d: dict[str, Any]) -> Rapids:
    if unknown := [p for p in d["jars"] if p not in PLATFORMS]:
        raise ValueError(
            f"{VERSIONS_FILE.name}: Spark {line}: RAPIDS jars for unknown platforms {unknown}; built: {list(PLATFORMS)}"
        )
    jars = tuple((p, _jar(d["jars"][p], d["group"], d["artifact"], d["version"])) for p in PLATFORMS if p in d["jars"])
    # a new line's block may lack what `make update-versions` fills in (ARCHITECTURE: adding a line)
    return Rapids(d["version"], jars, tuple(d.get("shims", ())), d.get("explain_needs_gpu", False))


def load_versions(path: Path = VERSIONS_FILE) -> dict[str, Any]:
    return json.loads(path.read_text())


def dump_versions(data: dict[str, Any]) -> str:
    """The data file's one format (the updater writes it; a test fails on any other)."""
    return json.dumps(data, indent=2) + "\n"


def parse_versions(data: dict[str, Any]) -> tuple[dict[str, SparkLine], tuple[SparkRelease, ...]]:
    lines = {}
    for name, d in data["lines"].items():
        connect = d["connect"]
        lines[name] = SparkLine(
            version=name,
            scala=d["scala"],
            java=d["java"],
            connect_artifact=(connect["group"], connect["artifact"]) if connect else None,
            iceberg=_jar(d["iceberg"]),
            rapids=_rapids(name, d["rapids"]),
            variants=tuple(d["variants"]),
        )
    for name, line in lines.items():
        if unknown := [v for v in line.variants if v not in VARIANT_FEATURES]:
            raise ValueError(
                f"{VERSIONS_FILE.name}: Spark {name}: unknown variants {unknown}; declared: {list(VARIANTS)}"
            )
    releases = []
    for d in data["releases"]:
        release = SparkRelease(d["version"], d["sdist_path"], d["sdist_sha256"])
        connect = lines[release.line].connect_artifact
        if (connect is None) != (d.get("connect") is None):
            raise ValueError(
                f"{VERSIONS_FILE.name}: Spark {release.version}: a connect jar exactly where its line has one"
            )
        if connect is not None:
            release = SparkRelease(
                release.version, release.sdist_path, release.sdist_sha256, _jar(d["connect"], *connect)
            )
        releases.append(release)
    return lines, tuple(releases)


LINES, SPARK_RELEASES = parse_versions(load_versions())


SPARK_VERSIONS: Final = tuple(r.version for r in SPARK_RELEASES)


def release(spark_version: str) -> SparkRelease:
    for r in SPARK_RELEASES:
        if r.version == spark_version:
            return r
    raise UsageError(f"unknown Spark version {spark_version!r}; valid: {', '.join(SPARK_VERSIONS)}")
