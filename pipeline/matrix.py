"""The image matrix: every fact the pipeline builds from, and pure functions over it.

Release facts (Spark releases, their pyspark sdists, jars and checksums) live in one data file,
pipeline/versions.json, written by `make update-versions` (scripts/update_versions.py) and read
here. Product structure (variants as sets of features, size budgets) is declared below.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, get_args

from . import paths, python_deps
from .errors import UsageError

VERSIONS_FILE: Final = Path(__file__).resolve().parent / "versions.json"

# A feature is what a variant adds to the baseline image; a variant is a named set of features.
# "gpu" is the user-facing name of the rapids feature set; whether the engine's host has a GPU is
# a run option (--gpu), never a property of an image.
Feature = Literal["rapids", "iceberg"]
FEATURES: Final[tuple[Feature, ...]] = get_args(Feature)  # also the order of their layers
Variant = Literal["baseline", "gpu", "iceberg", "gpu-iceberg"]
VARIANT_FEATURES: Final[dict[Variant, frozenset[Feature]]] = {
    "baseline": frozenset(),
    "gpu": frozenset({"rapids"}),
    "iceberg": frozenset({"iceberg"}),
    "gpu-iceberg": frozenset({"rapids", "iceberg"}),
}
VARIANTS: Final[tuple[Variant, ...]] = tuple(VARIANT_FEATURES)

# Platforms the images are built for, one multi-platform image (OCI index) per name. The engine's own
# platform (dag.default_platform(), asked at run time: amd64 on most CI runners, arm64 on Apple silicon
# and Graviton) is native; another is built from the same recipe and checked under emulation (QEMU
# user-mode, set up by `make engine`), its platform-independent work done natively (cross-building).
PLATFORMS: Final = ("linux/amd64", "linux/arm64")
ALL_PLATFORMS: Final = "all"  # --platform all

PYPI_FILES: Final = "https://files.pythonhosted.org/packages"
MAVEN_CENTRAL: Final = "https://repo1.maven.org/maven2"
PYTHON_VERSION: Final = "3.11"  # Debian bookworm's python3
JUPYTERLAB_VERSION: Final = python_deps.common_pin("jupyterlab")  # pinned in requirements/jupyter-*.in
JUPYTERHUB_VERSION: Final = python_deps.common_pin("jupyterhub")  # jupyterhub-singleuser


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


@dataclass(frozen=True)
class Image:
    """One cell of the matrix."""

    spark: SparkRelease
    variant: Variant

    @property
    def line(self) -> SparkLine:
        return LINES[self.spark.line]

    @property
    def name(self) -> str:
        suffix = "" if self.variant == "baseline" else f"-{self.variant}"
        return f"jupyter-{self.spark.version}{suffix}"

    @property
    def features(self) -> frozenset[Feature]:
        return VARIANT_FEATURES[self.variant]

    @property
    def rapids(self) -> bool:
        return "rapids" in self.features

    @property
    def iceberg(self) -> bool:
        return "iceberg" in self.features

    @property
    def platforms(self) -> tuple[str, ...]:
        """The platforms this image is built for: every one its features are built for."""
        return tuple(p for p in PLATFORMS if all(p in feature_platforms(self.line, f) for f in self.features))

    @property
    def rapids_shim_override(self) -> str | None:
        """The shim a RAPIDS image must force, or None when the jar supports this Spark."""
        return shim_override(self.spark.version, self.line.rapids.shims) if self.rapids else None


def native(engine_platform: str) -> str:
    """The engine's platform as the matrix names it (linux/arm64/v8 -> linux/arm64)."""
    return {"linux/arm64/v8": "linux/arm64", "linux/amd64/v1": "linux/amd64"}.get(engine_platform, engine_platform)


@dataclass(frozen=True)
class Targets:
    """The platforms a run builds, and the engine's own (native): every other is built and checked
    under emulation."""

    native: str
    platforms: tuple[str, ...]

    def emulated(self, platform: str) -> bool:
        return platform != self.native

    def of(self, image: Image) -> list[str]:
        """The platforms of an image this run builds (those of them the image is built for)."""
        return [p for p in image.platforms if p in self.platforms]


def targets(value: str, native_platform: str) -> Targets:
    """--platform: "" the engine's own (as `docker build`), "all" every platform the matrix builds, or a
    comma-separated list of them; a UsageError naming the valid values otherwise."""
    valid = f"valid: {', '.join(PLATFORMS)}, a comma-separated list of them, or {ALL_PLATFORMS}"
    asked = [p.strip() for p in value.split(",")] if value and value != ALL_PLATFORMS else []
    if unknown := [p for p in asked if p not in PLATFORMS]:
        raise UsageError(f"--platform {value!r}: unknown {', '.join(map(repr, unknown))}; {valid}")
    if not value and native_platform not in PLATFORMS:
        raise UsageError(f"the engine runs on {native_platform}, which the matrix does not build; --platform: {valid}")
    chosen = PLATFORMS if value == ALL_PLATFORMS else tuple(p for p in PLATFORMS if p in asked) or (native_platform,)
    return Targets(native_platform, chosen)


def arch(platform: str) -> str:
    """linux/arm64 -> arm64: what `dpkg --print-architecture` and an image config's architecture say."""
    return platform.rpartition("/")[2]


def jvm_arch(platform: str) -> str:
    """linux/arm64 -> aarch64: the JVM's os.arch, the folder a jar's native code for it is filed under."""
    return {"arm64": "aarch64"}.get(arch(platform), arch(platform))


def ordered_features(features: frozenset[Feature]) -> list[Feature]:
    """Features in the order their layers are built (FEATURES' order)."""
    return [f for f in FEATURES if f in features]


def variant_of(features: frozenset[Feature]) -> Variant | None:
    """The variant with exactly these features, if one is declared."""
    return next((v for v, f in VARIANT_FEATURES.items() if f == features), None)


# Size budgets, in bytes of the image's uncompressed layers (what the size check measures).
BASELINE_CEILING: Final = 3 * 10**9  # the work order's hard limit for a baseline image
BASELINE_BUDGET: Final = min(1_500_000_000, BASELINE_CEILING)  # measured: 1.29 GB (Spark 3.5), 1.46 GB (4.1)
COMPONENT_MARGIN: Final = 50_000_000  # per component a variant adds: its config, kernel, a chown'd file


def feature_platforms(line: SparkLine, feature: Feature) -> tuple[str, ...]:
    """The platforms a feature is built for on a line: RAPIDS where it has a jar, Iceberg (JVM only) all."""
    return line.rapids.platforms if feature == "rapids" else PLATFORMS


def feature_jar(line: SparkLine, feature: Feature, platform: str) -> MavenJar:
    """The jar a feature adds to an image of a line built for a platform."""
    return line.rapids.jar(platform) if feature == "rapids" else line.iceberg


def added_jars(image: Image, platform: str) -> tuple[MavenJar, ...]:
    """The jars the image's features add to the baseline on a platform, in layer order."""
    return tuple(feature_jar(image.line, f, platform) for f in ordered_features(image.features))


def budget_parts(image: Image, platform: str) -> list[tuple[str, int]]:
    """What an image's size budget is made of: the baseline budget, each added jar, a margin per jar."""
    jars = added_jars(image, platform)
    parts = [("baseline", BASELINE_BUDGET), *((jar.filename, jar.size) for jar in jars)]
    return parts + (
        [(f"margin ({len(jars)} x {COMPONENT_MARGIN // 10**6} MB)", len(jars) * COMPONENT_MARGIN)] if jars else []
    )


def budget(image: Image, platform: str) -> int:
    """The most bytes (uncompressed) the image may take: the baseline budget plus what its variant adds."""
    return sum(size for _, size in budget_parts(image, platform))


def shim_override(spark_version: str, shims: tuple[str, ...]) -> str | None:
    """None when a shim matches spark_version, else the nearest shim of the same line (4.1.0 -> 4.1.1).

    The override is untested upstream: images that use it say so in a label and the build warns.
    """
    if spark_version in shims:
        return None
    line = spark_version.rsplit(".", 1)[0]
    same_line = [s for s in shims if s.startswith(line + ".")]
    if not same_line:
        raise UsageError(f"RAPIDS jar has no shim for Spark {line}.x (it has {', '.join(shims)})")
    patch = int(spark_version.rsplit(".", 1)[1])
    return min(same_line, key=lambda s: (abs(int(s.rsplit(".", 1)[1]) - patch), s))


def shim_provider_class(shim_version: str) -> str:
    """The RAPIDS shim provider class for a Spark version (4.1.1 -> ...shims.spark411...)."""
    return f"com.nvidia.spark.rapids.shims.spark{shim_version.replace('.', '')}.SparkShimServiceProvider"


def release(spark_version: str) -> SparkRelease:
    for r in SPARK_RELEASES:
        if r.version == spark_version:
            return r
    raise UsageError(f"unknown Spark version {spark_version!r}; valid: {', '.join(SPARK_VERSIONS)}")


def image(spark_version: str, variant: str) -> Image:
    """The image for one cell, or a UsageError naming the valid choices."""
    r = release(spark_version)
    if variant not in VARIANTS:
        raise UsageError(f"unknown variant {variant!r}; valid: {', '.join(VARIANTS)}")
    allowed = LINES[r.line].variants
    if variant not in allowed:
        raise UsageError(f"variant {variant!r} is not built for Spark {r.line}; valid there: {', '.join(allowed)}")
    return Image(r, variant)  # type: ignore[arg-type]


def images(spark_version: str | None = None, variant: str | None = None, on: tuple[str, ...] = ()) -> list[Image]:
    """Every image of the matrix, optionally narrowed to one Spark version, a variant and/or those
    built for at least one of the platforms `on`."""
    if spark_version is not None:
        release(spark_version)
    if variant is not None and variant not in VARIANTS:
        raise UsageError(f"unknown variant {variant!r}; valid: {', '.join(VARIANTS)}")
    selected = [
        Image(r, v)
        for r in SPARK_RELEASES
        for v in LINES[r.line].variants
        if (spark_version is None or r.version == spark_version) and (variant is None or v == variant)
    ]
    if not selected:
        raise UsageError(f"no image is built for Spark {spark_version} with variant {variant}")
    if on and not (selected := [i for i in selected if set(on) & set(i.platforms)]):
        raise UsageError(f"no image of this selection is built for {', '.join(on)}")
    return selected
