"""The image matrix: the images (a Spark release and a variant) and what each is built for, the platforms
a run builds, size budgets, RAPIDS shims, and the selection the functions take: pure functions over
the release facts (releases.py) and the product's declarations (product.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .errors import UsageError
from .product import ALL_PLATFORMS, FEATURES, PLATFORMS, VARIANT_FEATURES, VARIANTS, Feature, Variant
from .releases import LINES, SPARK_RELEASES, MavenJar, SparkLine, SparkRelease, release


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
