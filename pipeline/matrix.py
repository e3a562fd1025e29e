"""The image matrix: every fact the pipeline builds from, and pure functions over it.

Adding a Spark patch release is one line in SPARK_RELEASES (its pyspark sdist on PyPI carries
the Spark distribution). Adding a Spark line is one entry in LINES.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

Variant = Literal["baseline", "gpu", "iceberg", "gpu-iceberg"]
VARIANTS: Final[tuple[Variant, ...]] = get_args(Variant)

PYPI_FILES: Final = "https://files.pythonhosted.org/packages"
MAVEN_CENTRAL: Final = "https://repo1.maven.org/maven2"
JAVA_MAJOR: Final = "17"  # Debian bookworm's openjdk-17-jre-headless
PYTHON_VERSION: Final = "3.11"  # Debian bookworm's python3
JUPYTERLAB_VERSION: Final = "4.4.10"  # pinned in requirements/jupyter-*.in
JUPYTERHUB_VERSION: Final = "5.4.3"  # jupyterhub-singleuser, pinned in requirements/jupyter-*.in


@dataclass(frozen=True)
class MavenJar:
    """A jar on a Maven repository, verified by the SHA-1 that Maven Central publishes."""

    group: str
    artifact: str
    version: str
    sha1: str
    size: int  # bytes, Maven Central's Content-Length for the jar (what it adds to an image)

    @property
    def filename(self) -> str:
        return f"{self.artifact}-{self.version}.jar"

    def path(self) -> str:
        return f"{self.group.replace('.', '/')}/{self.artifact}/{self.version}/{self.filename}"


@dataclass(frozen=True)
class Rapids:
    """The RAPIDS Accelerator jar of a Spark line and the Spark shims it ships."""

    jar: MavenJar
    shims: tuple[str, ...]  # Spark versions with a shim in the jar (unzip -l | grep spark3xx/)
    # The plugin starts the GPU even with spark.rapids.sql.mode=explainOnly and stops without one
    # (25.04): only then may the check fall back to the jar's CPU-side ExplainPlan API.
    explain_needs_gpu: bool


@dataclass(frozen=True)
class SparkLine:
    """What all patch releases of one Spark minor line share."""

    scala: str
    # Spark 3.5's distribution lacks the Connect server; Maven here serves it for 3.5.7 only.
    connect_jar: MavenJar | None
    iceberg: MavenJar
    rapids: Rapids
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class SparkRelease:
    """One Spark release: the pyspark sdist on PyPI carries its jars and scripts."""

    version: str
    sdist_path: str  # under PYPI_FILES
    sdist_sha256: str

    @property
    def line(self) -> str:
        return ".".join(self.version.split(".")[:2])


LINES: Final[dict[str, SparkLine]] = {
    "3.5": SparkLine(
        scala="2.12",
        connect_jar=MavenJar(
            "org.apache.spark", "spark-connect_2.12", "3.5.7", "11469f1eeb53c250b9bada24fff2f76b25c407eb", 14_147_901
        ),
        iceberg=MavenJar(
            "org.apache.iceberg",
            "iceberg-spark-runtime-3.5_2.12",
            "1.12.0",
            "9320e156d8ea8460e26e0604c0fed204c2579aa0",
            48_252_525,
        ),
        rapids=Rapids(
            MavenJar(
                "com.nvidia", "rapids-4-spark_2.12", "25.04.0", "8441bfcb8211ca12b2ed0f0bb853b1c3986ea6e2", 600_900_817
            ),
            shims=("3.5.0", "3.5.1", "3.5.2", "3.5.3", "3.5.4", "3.5.5"),
            explain_needs_gpu=True,
        ),
        variants=("baseline", "gpu", "iceberg"),
    ),
    "4.1": SparkLine(
        scala="2.13",
        connect_jar=None,  # jars/spark-connect_2.13 ships in the 4.x distribution
        iceberg=MavenJar(
            "org.apache.iceberg",
            "iceberg-spark-runtime-4.1_2.13",
            "1.12.0",
            "9e395e373a9a99643bf413ca1f74fa0c034887b4",
            48_309_426,
        ),
        rapids=Rapids(
            MavenJar(
                "com.nvidia",
                "rapids-4-spark_2.13",
                "26.08.1",
                "81c1497234f0c6c047ad74dd4ec3cd4fe274944a",
                1_007_818_697,
            ),
            shims=("4.1.1", "4.1.2", "4.1.3"),
            explain_needs_gpu=False,
        ),
        variants=VARIANTS,
    ),
}

# One release a line: adding a Spark version is one line.
# fmt: off
SPARK_RELEASES: Final[tuple[SparkRelease, ...]] = (
    SparkRelease("3.5.7", "cb/65/2764b1840aa6ea5f7e668a36702c3128ac54d0b861d3d57669b2453469a6/pyspark-3.5.7.tar.gz", "80e36514e0c5c126d35a26adf4f405cd4a69de96a8ea8a3c1e9a65fce2fb4eaa"),
    SparkRelease("3.5.8", "80/5a/3806f44eb47387e8af803508cdd6bbc0df784febf4dc010700be04a1ff89/pyspark-3.5.8.tar.gz", "54cca0767b21b40e3953ad1d30f8601c53abf9cbda763653289cdcfcac52313c"),
    SparkRelease("4.1.0", "88/0d/f280cbd070e424008f370c068c6a371e0cbb902e33d9709b01e97d479b01/pyspark-4.1.0.tar.gz", "09c714ada88dfac3e1213c066617c6f473c1e22fbe279855028f77e12434147d"),
    SparkRelease("4.1.1", "19/bf/58ee13add151469c25825b7125bbf62c3bdcec05eec4d458fcb5c5516066/pyspark-4.1.1.tar.gz", "77f78984aa84fbe865c717dd37b49913b4e5c97d76ef6824f932f1aefa6621ec"),
)
# fmt: on
SPARK_VERSIONS: Final = tuple(r.version for r in SPARK_RELEASES)


class MatrixError(ValueError):
    """Bad input: says what was wrong and what is valid."""


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
    def gpu(self) -> bool:
        return "gpu" in self.variant

    @property
    def iceberg(self) -> bool:
        return "iceberg" in self.variant

    @property
    def rapids_shim_override(self) -> str | None:
        """The shim a GPU image must force, or None when the jar supports this Spark."""
        return shim_override(self.spark.version, self.line.rapids.shims) if self.gpu else None


# Size budgets, in bytes of the image's uncompressed layers (what the size check measures).
BASELINE_CEILING: Final = 3 * 10**9  # the work order's hard limit for a baseline image
BASELINE_BUDGET: Final = min(1_500_000_000, BASELINE_CEILING)  # measured: 1.29 GB (Spark 3.5), 1.46 GB (4.1)
COMPONENT_MARGIN: Final = 50_000_000  # per component a variant adds: its config, kernel, a chown'd file


def added_jars(image: Image) -> tuple[MavenJar, ...]:
    """The jars the image's variant adds to the baseline (RAPIDS for gpu, Iceberg runtime for iceberg)."""
    return ((image.line.rapids.jar,) if image.gpu else ()) + ((image.line.iceberg,) if image.iceberg else ())


def budget_parts(image: Image) -> list[tuple[str, int]]:
    """What an image's size budget is made of: the baseline budget, each added jar, a margin per jar."""
    jars = added_jars(image)
    parts = [("baseline", BASELINE_BUDGET), *((jar.filename, jar.size) for jar in jars)]
    return parts + (
        [(f"margin ({len(jars)} x {COMPONENT_MARGIN // 10**6} MB)", len(jars) * COMPONENT_MARGIN)] if jars else []
    )


def budget(image: Image) -> int:
    """The most bytes (uncompressed) the image may take: the baseline budget plus what its variant adds."""
    return sum(size for _, size in budget_parts(image))


def shim_override(spark_version: str, shims: tuple[str, ...]) -> str | None:
    """None when a shim matches spark_version, else the nearest shim of the same line (4.1.0 -> 4.1.1).

    The override is untested upstream: images that use it say so in a label and the build warns.
    """
    if spark_version in shims:
        return None
    line = spark_version.rsplit(".", 1)[0]
    same_line = [s for s in shims if s.startswith(line + ".")]
    if not same_line:
        raise MatrixError(f"RAPIDS jar has no shim for Spark {line}.x (it has {', '.join(shims)})")
    patch = int(spark_version.rsplit(".", 1)[1])
    return min(same_line, key=lambda s: (abs(int(s.rsplit(".", 1)[1]) - patch), s))


def shim_provider_class(shim_version: str) -> str:
    """The RAPIDS shim provider class for a Spark version (4.1.1 -> ...shims.spark411...)."""
    return f"com.nvidia.spark.rapids.shims.spark{shim_version.replace('.', '')}.SparkShimServiceProvider"


def release(spark_version: str) -> SparkRelease:
    for r in SPARK_RELEASES:
        if r.version == spark_version:
            return r
    raise MatrixError(f"unknown Spark version {spark_version!r}; valid: {', '.join(SPARK_VERSIONS)}")


def image(spark_version: str, variant: str) -> Image:
    """The image for one cell, or a MatrixError naming the valid choices."""
    r = release(spark_version)
    if variant not in VARIANTS:
        raise MatrixError(f"unknown variant {variant!r}; valid: {', '.join(VARIANTS)}")
    allowed = LINES[r.line].variants
    if variant not in allowed:
        raise MatrixError(f"variant {variant!r} is not built for Spark {r.line}; valid there: {', '.join(allowed)}")
    return Image(r, variant)  # type: ignore[arg-type]


def images(spark_version: str | None = None, variant: str | None = None) -> list[Image]:
    """Every image of the matrix, optionally narrowed to one Spark version and/or variant."""
    if spark_version is not None:
        release(spark_version)
    if variant is not None and variant not in VARIANTS:
        raise MatrixError(f"unknown variant {variant!r}; valid: {', '.join(VARIANTS)}")
    selected = [
        Image(r, v)
        for r in SPARK_RELEASES
        for v in LINES[r.line].variants
        if (spark_version is None or r.version == spark_version) and (variant is None or v == variant)
    ]
    if not selected:
        raise MatrixError(f"no image is built for Spark {spark_version} with variant {variant}")
    return selected
