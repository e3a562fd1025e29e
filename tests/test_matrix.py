"""Unit tests: the matrix, its compatibility rules, labels and validation.

Expectations come from the data file (pipeline/versions.json) and the declared variants, so adding a
release or a line changes no test here; the product's 14 images are pinned in one test, on purpose.
"""

import dataclasses
import subprocess

import pytest

from pipeline import assembly, catalog, feature_layers, paths, product, recipe, releases, spark_base_layer
from pipeline.errors import UsageError

AMD64, ARM64 = product.PLATFORMS

DATA = releases.load_versions()


def test_the_product_is_the_14_images_of_the_work_order():
    """A product fact, not derived: changing the set of images built is a decision, made here too."""
    assert [i.name for i in catalog.images()] == [
        "jupyter-3.5.7", "jupyter-3.5.7-gpu", "jupyter-3.5.7-iceberg",
        "jupyter-3.5.8", "jupyter-3.5.8-gpu", "jupyter-3.5.8-iceberg",
        "jupyter-4.1.0", "jupyter-4.1.0-gpu", "jupyter-4.1.0-iceberg", "jupyter-4.1.0-gpu-iceberg",
        "jupyter-4.1.1", "jupyter-4.1.1-gpu", "jupyter-4.1.1-iceberg", "jupyter-4.1.1-gpu-iceberg",
    ]  # fmt: skip


def test_the_matrix_is_every_release_of_the_data_file_times_its_lines_variants():
    expected = [
        (r["version"], v)
        for r in DATA["releases"]
        for v in DATA["lines"][".".join(r["version"].split(".")[:2])]["variants"]
    ]
    assert [(i.spark.version, i.variant) for i in catalog.images()] == expected
    assert tuple(r["version"] for r in DATA["releases"]) == releases.SPARK_VERSIONS
    assert len({i.name for i in catalog.images()}) == len(expected)


def test_every_release_belongs_to_a_line_and_every_line_has_a_release():
    assert {r.line for r in releases.SPARK_RELEASES} == set(releases.LINES)
    assert all(v in product.VARIANTS for line in releases.LINES.values() for v in line.variants)


def test_variants_are_sets_of_declared_features_and_baseline_has_none():
    assert product.VARIANT_FEATURES["baseline"] == frozenset()
    assert set().union(*product.VARIANT_FEATURES.values()) == set(product.FEATURES)
    assert len(set(product.VARIANT_FEATURES.values())) == len(product.VARIANTS)  # no two variants alike
    image = catalog.image("4.1.1", "gpu-iceberg")
    assert image.features == {"rapids", "iceberg"} and image.rapids and image.iceberg
    assert not catalog.image("4.1.1", "iceberg").rapids


def test_the_connect_jar_is_per_release_and_a_stand_in_says_so():
    for release in releases.SPARK_RELEASES:
        line = releases.LINES[release.line]
        if line.connect_artifact is None:
            assert release.connect_jar is None  # shipped in the distribution
            continue
        jar = release.connect_jar
        assert (jar.group, jar.artifact) == line.connect_artifact
        # the release's own jar, or an older one of the same line that says why it stands in
        assert jar.version == release.version or (jar.stand_in and jar.version.startswith(release.line + "."))
        label = assembly.labels(catalog.image(release.version, "baseline"))["io.jupyter-spark.spark-connect.version"]
        assert label == jar.version


def test_java_home_and_the_jre_come_from_the_lines_java_major():
    for release in releases.SPARK_RELEASES:
        line = releases.LINES[release.line]
        text = "\n".join(spark_base_layer.install_spark(release).splitlines() + [str(spark_base_layer.layer(release))])
        assert f"Env(name='JAVA_HOME', value='{paths.java_home(line.java)}')" in text
        assert f'ln -s "java-{line.java}-openjdk-$(dpkg --print-architecture)" {line.java_home}' in text
        assert paths.debian_jre_package(line.java) in text
        labels = assembly.labels(catalog.image(release.version, "baseline"))
        assert labels["io.jupyter-spark.java.version"] == line.java


def test_labels_derive_from_features():
    for image in catalog.images():
        labels = assembly.labels(image)
        for feature in product.FEATURES:
            assert (f"io.jupyter-spark.{feature}.version" in labels) == (feature in image.features)


@pytest.mark.parametrize(
    ("spark", "variant", "message"),
    [
        ("3.4.9", "baseline", f"unknown Spark version '3.4.9'; valid: {', '.join(releases.SPARK_VERSIONS)}"),
        ("4.1.1", "cuda", "unknown variant 'cuda'; valid: baseline, gpu, iceberg, gpu-iceberg"),
        ("3.5.8", "gpu-iceberg", "not built for Spark 3.5; valid there: baseline, gpu, iceberg"),
    ],
)
def test_bad_input_names_what_is_valid(spark, variant, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        catalog.image(spark, variant)


def test_narrowing_by_variant_or_version():
    assert [i.name for i in catalog.images(variant="gpu-iceberg")] == [
        f"jupyter-{r.version}-gpu-iceberg"
        for r in releases.SPARK_RELEASES
        if "gpu-iceberg" in releases.LINES[r.line].variants
    ]
    for release in releases.SPARK_RELEASES:
        assert len(catalog.images(spark_version=release.version)) == len(releases.LINES[release.line].variants)


@pytest.mark.parametrize(
    ("spark", "override"),
    [("4.1.1", None), ("4.1.0", "4.1.1"), ("3.5.7", "3.5.5"), ("3.5.8", "3.5.5")],
)
def test_rapids_shim_override_only_where_the_jar_lacks_the_version(spark, override):
    assert catalog.image(spark, "gpu").rapids_shim_override == override


def test_shim_provider_class_names_the_shim_package():
    assert catalog.shim_provider_class("4.1.1") == "com.nvidia.spark.rapids.shims.spark411.SparkShimServiceProvider"


def test_no_shim_for_a_whole_line_is_an_error():
    with pytest.raises(UsageError, match="no shim for Spark 3.4.x"):
        catalog.shim_override("3.4.1", ("3.5.0",))


def test_labels_carry_versions_and_the_labelled_override():
    labels = assembly.labels(catalog.image("4.1.0", "gpu-iceberg"))
    assert labels["io.jupyter-spark.spark.version"] == "4.1.0"
    assert labels["io.jupyter-spark.iceberg.version"] == "1.12.0"
    assert labels["io.jupyter-spark.rapids.version"] == "26.08.1"
    assert labels["io.jupyter-spark.rapids.shim-override"] == "4.1.1 (untested upstream)"
    assert "io.jupyter-spark.rapids.version" not in assembly.labels(catalog.image("4.1.1", "iceberg"))


# Uncompressed sizes measured by the size check (GB): every image must stay within its budget.
MEASURED_GB = {
    "jupyter-3.5.8": 1.29,
    "jupyter-4.1.1": 1.46,
    "jupyter-3.5.7-iceberg": 1.34,
    "jupyter-4.1.1-iceberg": 1.50,
    "jupyter-3.5.8-gpu": 1.89,
    "jupyter-4.1.1-gpu": 2.46,
    "jupyter-4.1.1-gpu-iceberg": 2.51,
}


def test_a_baseline_budget_is_1_5_gb_under_the_work_orders_3_gb():
    for image in catalog.images(variant="baseline"):
        assert catalog.budget(image, AMD64) == 1_500_000_000 <= catalog.BASELINE_CEILING == 3 * 10**9


@pytest.mark.parametrize(
    ("spark", "variant", "jars"),
    [
        ("3.5.7", "iceberg", ["iceberg-spark-runtime-3.5_2.12-1.12.0.jar"]),
        ("3.5.8", "gpu", ["rapids-4-spark_2.12-25.04.0.jar"]),
        ("4.1.1", "gpu", ["rapids-4-spark_2.13-26.08.1.jar"]),
        ("4.1.0", "gpu-iceberg", ["rapids-4-spark_2.13-26.08.1.jar", "iceberg-spark-runtime-4.1_2.13-1.12.0.jar"]),
    ],
)
def test_a_variant_budget_is_the_baseline_plus_its_jars_and_a_margin_each(spark, variant, jars):
    image = catalog.image(spark, variant)
    assert [j.filename for j in catalog.added_jars(image, AMD64)] == jars
    sizes = sum(j.size for j in catalog.added_jars(image, AMD64))
    assert catalog.budget(image, AMD64) == catalog.BASELINE_BUDGET + sizes + len(jars) * catalog.COMPONENT_MARGIN
    assert sum(size for _, size in catalog.budget_parts(image, AMD64)) == catalog.budget(image, AMD64)


@pytest.mark.parametrize(("name", "measured"), MEASURED_GB.items())
def test_every_measured_image_is_within_its_budget(name, measured):
    image = next(i for i in catalog.images() if i.name == name)
    assert measured * 1e9 < catalog.budget(image, AMD64)


def test_every_image_has_a_budget_and_gpu_images_the_largest():
    budgets = {i.name: catalog.budget(i, AMD64) for i in catalog.images()}
    assert len(budgets) == len(catalog.images())
    assert budgets["jupyter-4.1.1-gpu-iceberg"] > budgets["jupyter-4.1.1-gpu"] > budgets["jupyter-4.1.1-iceberg"]
    assert budgets["jupyter-4.1.1-iceberg"] > budgets["jupyter-4.1.1"] == budgets["jupyter-3.5.7"]


def test_the_explain_only_gpu_fallback_is_marked_for_rapids_25_04_only():
    marked = {line.rapids.version: line.rapids.explain_needs_gpu for line in releases.LINES.values()}
    assert marked == {"25.04.0": True, "26.08.1": False}


def test_size_check_applies_the_budget_to_every_image_and_says_it():
    from pipeline.checks import facts
    from pipeline.checks.result import CheckFailed

    baseline, gpu = catalog.image("4.1.1", "baseline"), catalog.image("4.1.1", "gpu-iceberg")
    assert "within its budget 1.50 GB (baseline" in facts.check_size(baseline, 1_460_000_000, AMD64)
    detail = facts.check_size(gpu, 2_510_000_000, AMD64)
    assert "budget 2.66 GB = baseline 1.50 GB + rapids-4-spark_2.13-26.08.1.jar 1.01 GB" in detail
    with pytest.raises(CheckFailed, match="jupyter-4.1.1 is 1.51 GB uncompressed .* over its budget 1.50 GB"):
        facts.check_size(baseline, 1_510_000_000, AMD64)
    with pytest.raises(CheckFailed, match="over its budget 2.66 GB"):
        facts.check_size(gpu, 2_700_000_000, AMD64)
    with pytest.raises(CheckFailed, match="over its budget 1.60 GB"):
        facts.check_size(catalog.image("3.5.7", "iceberg"), 1_700_000_000, AMD64)
    # an arm64 GPU image's budget counts the arm64 jar (744.6 MB for RAPIDS 25.04.0, not the plain 600.9 MB)
    arm64 = facts.check_size(catalog.image("3.5.8", "gpu"), 2_200_000_000, "linux/arm64")
    assert "budget 2.29 GB = baseline 1.50 GB + rapids-4-spark_2.12-25.04.0-cuda12-arm64.jar 0.74 GB" in arm64
    with pytest.raises(CheckFailed, match="over its budget 2.15 GB"):
        facts.check_size(catalog.image("3.5.8", "gpu"), 2_200_000_000, AMD64)


def test_images_narrowed_to_a_platform_leave_out_those_not_built_for_it(monkeypatch):
    arm64 = [i.name for i in catalog.images(spark_version="4.1.1", on=(ARM64,))]
    assert arm64 == ["jupyter-4.1.1", "jupyter-4.1.1-gpu", "jupyter-4.1.1-iceberg", "jupyter-4.1.1-gpu-iceberg"]
    # a RAPIDS release the data file lists no arm64 jar for: its line's RAPIDS images are amd64's only
    line = releases.LINES["4.1"]
    amd64_only = dataclasses.replace(line.rapids, jars=line.rapids.jars[:1])
    monkeypatch.setitem(releases.LINES, "4.1", dataclasses.replace(line, rapids=amd64_only))
    assert catalog.image("4.1.1", "gpu").platforms == ("linux/amd64",)
    arm64 = catalog.images(spark_version="4.1.1", on=(ARM64,))
    assert [i.name for i in arm64] == ["jupyter-4.1.1", "jupyter-4.1.1-iceberg"]
    with pytest.raises(UsageError, match="no image of this selection is built for linux/arm64"):
        catalog.images(spark_version="4.1.1", variant="gpu", on=(ARM64,))
    # a run of both platforms keeps the image for the one it is built for
    assert "jupyter-4.1.1-gpu" in [i.name for i in catalog.images(spark_version="4.1.1", on=product.PLATFORMS)]
    assert catalog.targets("all", AMD64).of(catalog.image("4.1.1", "gpu")) == [AMD64]


@pytest.mark.parametrize(
    ("value", "engine", "built", "emulated"),
    [
        ("", AMD64, (AMD64,), ()),  # the engine's own platform, as docker build
        ("", ARM64, (ARM64,), ()),  # Apple silicon, arm64 runners: arm64 is native there
        ("all", AMD64, (AMD64, ARM64), (ARM64,)),
        ("all", ARM64, (AMD64, ARM64), (AMD64,)),  # amd64 is the emulated one on an arm64 engine
        ("linux/arm64, linux/amd64", AMD64, (AMD64, ARM64), (ARM64,)),  # a list, in PLATFORMS' order
        ("linux/arm64", AMD64, (ARM64,), (ARM64,)),
    ],
)
def test_the_platforms_built_default_to_the_engines_own(value, engine, built, emulated):
    targets = catalog.targets(value, engine)
    assert targets.platforms == built
    assert tuple(p for p in built if targets.emulated(p)) == emulated


def test_a_platform_the_matrix_does_not_build_is_refused_naming_the_valid_values():
    valid = "valid: linux/amd64, linux/arm64, a comma-separated list of them, or all"
    with pytest.raises(UsageError, match=f"--platform 'linux/s390x': unknown 'linux/s390x'; {valid}"):
        catalog.targets("linux/s390x", AMD64)
    with pytest.raises(
        UsageError,
        match=f"the engine runs on linux/riscv64, which the matrix does not build; --platform: {valid}",
    ):
        catalog.targets("", "linux/riscv64")
    assert catalog.targets("all", "linux/riscv64").platforms == product.PLATFORMS  # everything emulated: asked for
    assert catalog.native("linux/arm64/v8") == ARM64


def test_rapids_has_a_jar_per_platform_and_each_platforms_budget_counts_its_own():
    image = catalog.image("3.5.8", "gpu")
    amd64, arm64 = (image.line.rapids.jar(p) for p in product.PLATFORMS)
    assert amd64.filename == "rapids-4-spark_2.12-25.04.0.jar"
    assert arm64.filename == "rapids-4-spark_2.12-25.04.0-cuda12-arm64.jar"
    assert amd64.path() == "com/nvidia/rapids-4-spark_2.12/25.04.0/rapids-4-spark_2.12-25.04.0.jar"
    assert catalog.budget(image, "linux/arm64") - catalog.budget(image, AMD64) == arm64.size - amd64.size
    assert image.platforms == product.PLATFORMS
    # one platform-neutral stage picks the jar for the image's architecture (TARGETARCH)
    stage = feature_layers.rapids(image).steps[1].stage
    assert recipe.TARGETARCH in stage.layer.args
    script = stage.layer.steps[0].script
    for p in product.PLATFORMS:
        jar = image.line.rapids.jar(p)
        assert f'  {catalog.arch(p)}) jar="{jar.path()}" sha256={jar.sha256} ;;' in script


@pytest.mark.parametrize("machine", ["arm64", "riscv64"])
def test_the_rapids_step_downloads_its_architectures_jar_and_stops_on_any_other(tmp_path, machine):
    """The step itself, run by bash for a TARGETARCH, with a stub curl (what it fetches)."""
    (tmp_path / "curl").write_text('#!/bin/sh\necho "$@" > "$FETCHED"; exit 1\n')
    (tmp_path / "curl").chmod(0o755)
    jars = catalog.image("4.1.1", "gpu").line.rapids.jars
    step = recipe.maven_jar_per_platform(jars, str(tmp_path / "rapids.jar"))
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "MAVEN_REPO": "https://maven.example", "FETCHED": str(tmp_path / "url")}
    env[recipe.TARGETARCH] = machine
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", step], env=env, capture_output=True, text=True)
    assert done.returncode != 0  # the stub curl fails either way: only what it was asked for differs
    if machine == "arm64":
        arm64 = dict(jars)["linux/arm64"]
        assert (tmp_path / "url").read_text().split()[-3] == f"https://maven.example/{arm64.path()}"
    else:
        assert not (tmp_path / "url").exists()
        assert "no build of this jar for riscv64; versions.json has: amd64, arm64" in done.stderr


def test_rapids_jars_for_a_platform_the_matrix_does_not_build_are_refused():
    data = releases.load_versions()
    data["lines"]["4.1"]["rapids"]["jars"]["linux/riscv64"] = data["lines"]["4.1"]["rapids"]["jars"]["linux/arm64"]
    with pytest.raises(ValueError, match=r"Spark 4.1: RAPIDS jars for unknown platforms \['linux/riscv64'\]"):
        releases.parse_versions(data)


def test_a_new_lines_rapids_block_without_shims_loads_so_the_updater_can_fill_them_in():
    # ARCHITECTURE's recipe for a new line: the block has coordinates, not yet what the updater finds
    data = releases.load_versions()
    for key in ("shims", "explain_needs_gpu"):
        del data["lines"]["4.1"]["rapids"][key]
    lines, _ = releases.parse_versions(data)
    assert lines["4.1"].rapids.shims == () and lines["4.1"].rapids.explain_needs_gpu is False
    with pytest.raises(UsageError, match=r"RAPIDS jar has no shim for Spark 4.1.x"):
        catalog.shim_override("4.1.1", lines["4.1"].rapids.shims)


def test_what_an_image_is_held_to_changes_with_its_budget_its_checks_limits_and_debians_archive(monkeypatch):
    from pipeline import orchestrate
    from pipeline.limits import DEFAULTS

    image = catalog.image("4.1.1", "gpu")
    held = orchestrate.held_to(image, AMD64, DEFAULTS, False)
    # the pipeline's own waits are not what a check proves
    assert orchestrate.held_to(image, AMD64, DEFAULTS | {"build": 1, "export": 2}, False) == held
    assert orchestrate.held_to(image, AMD64, DEFAULTS | {"jupyterlab": 100}, False) != held
    monkeypatch.setattr(catalog, "BASELINE_BUDGET", catalog.BASELINE_BUDGET - 1)  # a lowered budget
    assert orchestrate.held_to(image, AMD64, DEFAULTS, False) != held
    assert '"kernels": ["python3", "pyspark-local", "pyspark-connect", "pyspark-rapids"]' in held
    # Debian's archive as the updates check will ask it: a new security update checks every image again
    archive = orchestrate.held_to(image, AMD64, DEFAULTS, False, "abc 123 main/binary-amd64/Packages.xz")
    assert archive != orchestrate.held_to(image, AMD64, DEFAULTS, False, "def 124 main/binary-amd64/Packages.xz")
