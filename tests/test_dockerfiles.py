"""dockerfiles/ is rendered from the recipes the pipeline builds: fail on drift."""

from pipeline import catalog, releases, rendering


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
