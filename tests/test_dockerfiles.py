"""dockerfiles/ is rendered from the recipes the pipeline builds: fail on drift."""

import pytest

from pipeline import catalog, recipe, releases, rendering, stages


def test_dockerfiles_match_the_pipeline_recipes():
    rendered = rendering.render_all()
    on_disk = {str(p.relative_to(rendering.OUT)): p.read_text() for p in rendering.OUT.rglob("*Dockerfile")}
    assert sorted(on_disk) == sorted(rendered), "dockerfiles/ has other files than the pipeline renders"
    stale = [path for path, text in rendered.items() if on_disk[path] != text]
    assert not stale, f"dockerfiles/ drifted from pipeline/ (run `make dockerfiles`): {stale}"


def test_jupyter_dockerfile_takes_the_spark_image_and_targets_every_variant():
    text = rendering.jupyter_dockerfile(next(r for r in releases.SPARK_RELEASES if r.version == "4.1.1"))
    assert "ARG SPARK_IMAGE=spark-k8s-spark-4.1.1" in text and "FROM ${SPARK_IMAGE} AS jupyter" in text
    for stage in ("AS baseline", "AS gpu", "AS iceberg", "FROM gpu AS gpu-iceberg"):
        assert stage in text


def test_every_variant_is_a_target_built_from_its_largest_declared_feature_prefix():
    """Targets derive from the variants' features: gpu-iceberg builds FROM gpu and adds only iceberg."""
    image = catalog.image("4.1.1", "gpu-iceberg")
    base, own = rendering.base_stage(image, releases.LINES["4.1"].variants)
    assert base == "gpu" and len(own) == 1 and "iceberg" in own[0].steps[2].script
    for release in releases.SPARK_RELEASES:
        text = rendering.jupyter_dockerfile(release)
        line = releases.LINES[release.line]
        for variant in line.variants:
            base, _ = rendering.base_stage(catalog.Image(release, variant), line.variants)
            assert f"FROM {base} AS {variant}\n" in text


def steps_mounting(text: str, stage: recipe.Stage, target: str) -> list[str]:
    """The Dockerfile's RUN steps that mount stage's output at target; the stage is never copied into the image."""
    assert f"COPY --from={stage.name}" not in text
    mount = f"--mount=type=bind,from={stage.name},source={stages.OUT},target={target}"
    return [step for step in text.split("\nRUN ") if mount in step]


def test_the_spark_base_mounts_debians_trust_store_made_natively_for_its_apt_step():
    """The trust store's stage runs on the build platform and is mounted for the one step that installs
    ca-certificates and the JRE (RUN --mount=from=), never copied into the image."""
    text = rendering.spark_dockerfile(releases.SPARK_RELEASES[-1])
    stage = stages.trust_store(releases.LINES[releases.SPARK_RELEASES[-1].line].java)
    assert f"FROM --platform=$BUILDPLATFORM {stages.BASE_IMAGE} AS {stage.name}" in text
    steps = steps_mounting(text, stage, recipe.TRUST_STORE)
    assert len(steps) == 1 and "ca-certificates" in steps[0] and "dpkg-divert" in steps[0], steps


def test_the_jupyter_layer_mounts_pythons_bytecode_made_natively_for_its_apt_step():
    """The bytecode's stage runs on the build platform and is mounted for the one step that installs Python
    (recipe.PYTHON_BYTECODE), never copied into the image."""
    text = rendering.jupyter_dockerfile(releases.SPARK_RELEASES[-1])
    stage = stages.PYTHON_BYTECODE
    assert f"FROM {stages.TOOLS.name} AS {stage.name}" in text
    steps = steps_mounting(text, stage, recipe.PYTHON_BYTECODE)
    assert len(steps) == 1 and " python3 " in steps[0] and "dpkg-divert" in steps[0], steps


def test_an_apt_step_mounts_one_stage():
    store = stages.trust_store(releases.LINES["4.1"].java)
    with pytest.raises(ValueError, match="one stage"):
        recipe.apt_install("python3", trust_store=store, bytecode=stages.PYTHON_BYTECODE)
