"""Render dockerfiles/ from the pipeline's recipes, so plain `docker build` users get exactly
what the pipeline builds. `make dockerfiles` writes them; a test fails when they drift."""

from __future__ import annotations


from . import images, jupyter_layer, matrix, spark_base, variants
from .recipe import ROOT, Layer, render

OUT = ROOT / "dockerfiles"
HEADER = (
    "# DO NOT EDIT: rendered by `make dockerfiles` from pipeline/ (the recipe the pipeline builds).\n"
    "# Needs BuildKit's built-in Dockerfile frontend (Docker 23.0 or later): heredocs, RUN --mount, COPY --chmod.\n"
)


def _stage(base: str, name: str, layers: list[Layer]) -> str:
    lines = [f"FROM {base} AS {name}"]
    for layer in layers:
        lines += render(layer)
    return "\n".join(lines) + "\n"


def spark_dockerfile(release: matrix.SparkRelease) -> str:
    usage = f"# docker build -f dockerfiles/spark-{release.version}/Dockerfile -t spark-k8s-spark-{release.version} .\n"
    return HEADER + usage + "\n" + _stage(spark_base.BASE_IMAGE, "spark", [spark_base.layer(release)])


def jupyter_dockerfile(release: matrix.SparkRelease) -> str:
    """One stage per variant on a shared jupyter stage; --target picks the variant."""
    usage = (
        f"# docker build -f dockerfiles/spark-{release.version}/jupyter.Dockerfile --target <variant> \\\n"
        f"#   --build-arg SPARK_IMAGE=spark-k8s-spark-{release.version} -t jupyter-{release.version}[-<variant>] \\\n"
        "#   [--build-arg REVISION=$(git rev-parse HEAD)] .\n"
    )
    parts = [HEADER + usage, f"ARG SPARK_IMAGE=spark-k8s-spark-{release.version}\n"]
    parts.append(_stage("${SPARK_IMAGE}", "jupyter", [jupyter_layer.layer(release)]))
    for variant in matrix.LINES[release.line].variants:
        image = matrix.Image(release, variant)
        base = "gpu" if variant == "gpu-iceberg" else "jupyter"
        own = variants.layers(image)[1:] if variant == "gpu-iceberg" else variants.layers(image)
        label_layer = Layer((), ("REVISION",), images.labels(image) | {images.REVISION_LABEL: "${REVISION}"})
        parts.append(_stage(base, variant, [*own, label_layer]))
    return "\n".join(parts)


def render_all() -> dict[str, str]:
    """dockerfiles/ as {relative path: text}."""
    out = {}
    for release in matrix.SPARK_RELEASES:
        out[f"spark-{release.version}/Dockerfile"] = spark_dockerfile(release)
        out[f"spark-{release.version}/jupyter.Dockerfile"] = jupyter_dockerfile(release)
    return out


def write() -> None:
    for path, text in render_all().items():
        target = OUT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


if __name__ == "__main__":
    write()
