"""dockerfiles/ is rendered from the recipes the pipeline builds: fail on drift."""

from pipeline import dockerfiles


def test_dockerfiles_match_the_pipeline_recipes():
    rendered = dockerfiles.render_all()
    on_disk = {str(p.relative_to(dockerfiles.OUT)): p.read_text() for p in dockerfiles.OUT.rglob("*Dockerfile")}
    assert sorted(on_disk) == sorted(rendered), "dockerfiles/ has other files than the pipeline renders"
    stale = [path for path, text in rendered.items() if on_disk[path] != text]
    assert not stale, f"dockerfiles/ drifted from pipeline/ (run `make dockerfiles`): {stale}"


def test_jupyter_dockerfile_takes_the_spark_image_and_targets_every_variant():
    text = dockerfiles.jupyter_dockerfile(next(r for r in dockerfiles.matrix.SPARK_RELEASES if r.version == "4.1.1"))
    assert "ARG SPARK_IMAGE=spark-k8s-spark-4.1.1" in text and "FROM ${SPARK_IMAGE} AS jupyter" in text
    for stage in ("AS baseline", "AS gpu", "AS iceberg", "FROM gpu AS gpu-iceberg"):
        assert stage in text
