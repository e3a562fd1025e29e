"""Render dockerfiles/ from the pipeline's recipes, so plain `docker build` users get exactly
what the pipeline builds. `make dockerfiles` writes them; a test fails when they drift."""

from __future__ import annotations

import dagger

from . import assembly, catalog, feature_layers, jupyter_layer, releases, spark_base_layer, stages
from .recipe import ROOT, Layer, render, render_stage, stages_of

OUT_DIR = "dockerfiles"  # relative to the checkout (and the module source)
OUT = ROOT / OUT_DIR
HEADER = (
    "# DO NOT EDIT: rendered by `make dockerfiles` from pipeline/ (the recipe the pipeline builds).\n"
    "# Needs BuildKit's built-in Dockerfile frontend (Docker 23.0 or later): heredocs, RUN --mount, COPY --chmod.\n"
)


def _stage(base: str, name: str, layers: list[Layer]) -> str:
    lines = [f"FROM {base} AS {name}"]
    for layer in layers:
        lines += render(layer)
    return "\n".join(lines) + "\n"


def _build_stages(layers: list[Layer]) -> list[str]:
    """The stages the layers copy from, on the build platform (cross-building), each once."""
    return ["\n".join(render_stage(stage)) + "\n" for stage in stages_of(layers)]


def spark_dockerfile(release: releases.SparkRelease) -> str:
    usage = f"# docker build -f dockerfiles/spark-{release.version}/Dockerfile -t spark-k8s-spark-{release.version} .\n"
    layer = spark_base_layer.layer(release)
    return "\n".join([HEADER + usage, *_build_stages([layer]), _stage(spark_base_layer.BASE_IMAGE, "spark", [layer])])


def jupyter_dockerfile(release: releases.SparkRelease) -> str:
    """One stage per variant on a shared jupyter stage; --target picks the variant."""
    usage = (
        f"# docker build -f dockerfiles/spark-{release.version}/jupyter.Dockerfile --target <variant> \\\n"
        f"#   --build-arg SPARK_IMAGE=spark-k8s-spark-{release.version} -t jupyter-{release.version}[-<variant>] \\\n"
        "#   [--build-arg REVISION=$(git rev-parse HEAD)] .\n"
    )
    line_variants = releases.LINES[release.line].variants
    variants = []
    for variant in line_variants:
        image = catalog.Image(release, variant)
        base, own = base_stage(image, line_variants)
        label_layer = Layer((), ("REVISION",), assembly.labels(image) | {assembly.REVISION_LABEL: "${REVISION}"})
        variants.append((variant, base, [*own, label_layer]))
    jupyter = jupyter_layer.layer(release)
    parts = [HEADER + usage, f"ARG SPARK_IMAGE=spark-k8s-spark-{release.version}\n"]
    parts += _build_stages([jupyter, *(layer for _, _, own in variants for layer in own)])
    parts.append(_stage("${SPARK_IMAGE}", "jupyter", [jupyter]))
    parts += [_stage(base, variant, own) for variant, base, own in variants]
    return "\n".join(parts)


def base_stage(image: catalog.Image, line_variants: tuple[str, ...]) -> tuple[str, list[Layer]]:
    """The stage a variant's target builds FROM and its own layers: the line's variant with the longest
    leading run of this variant's features (gpu-iceberg: FROM gpu, + iceberg), else the jupyter stage."""
    features = catalog.ordered_features(image.features)
    for n in range(len(features) - 1, 0, -1):
        base = catalog.variant_of(frozenset(features[:n]))
        if base in line_variants:
            return base, feature_layers.layers(image, features[n:])
    return "jupyter", feature_layers.layers(image, features)


def render_all() -> dict[str, str]:
    """dockerfiles/ as {relative path: text}."""
    out = {}
    for release in releases.SPARK_RELEASES:
        out[f"spark-{release.version}/Dockerfile"] = spark_dockerfile(release)
        out[f"spark-{release.version}/jupyter.Dockerfile"] = jupyter_dockerfile(release)
    return out


COPIED = "pipeline/files"  # what the recipes copy into images besides each line's lock file


def image_inputs(source: dagger.Directory) -> dagger.Directory:
    """Everything an image's content comes from: the recipes as rendered (every step, version, URL and
    checksum: dockerfiles/), the files they copy and the lock files. Its digest names a build where no
    revision is given, so an edit anywhere else (docs, the report, tests, dev tools) leaves every
    image's digest as it was, and with it the checks' results."""
    inputs = dagger.dag.directory().with_directory(COPIED, source.directory(COPIED))
    for lock in {*(jupyter_layer.lock_file(release) for release in releases.SPARK_RELEASES), stages.BUILD_TOOLS_LOCK}:
        inputs = inputs.with_file(lock, source.file(lock))
    for path, text in render_all().items():
        inputs = inputs.with_new_file(f"{OUT_DIR}/{path}", text)
    return inputs


def write() -> None:
    """Write dockerfiles/ and remove what is no longer rendered (a release dropped from the data file)."""
    rendered = render_all()
    for path, text in rendered.items():
        target = OUT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for stale in OUT.rglob("*Dockerfile"):
        if str(stale.relative_to(OUT)) not in rendered:
            stale.unlink()
            if not any(stale.parent.iterdir()):
                stale.parent.rmdir()


if __name__ == "__main__":
    write()
