"""Unit tests: the matrix, its compatibility rules, labels and validation."""

import pytest

from pipeline import images, matrix


def test_the_matrix_has_the_14_images_of_the_work_order():
    names = [i.name for i in matrix.images()]
    assert len(names) == 14
    assert names[:3] == ["jupyter-3.5.7", "jupyter-3.5.7-gpu", "jupyter-3.5.7-iceberg"]
    assert "jupyter-4.1.1-gpu-iceberg" in names and "jupyter-4.1.0-gpu-iceberg" in names
    assert not [n for n in names if n.startswith("jupyter-3.5") and n.endswith("gpu-iceberg")]


@pytest.mark.parametrize(
    ("spark", "variant", "message"),
    [
        ("3.5.9", "baseline", "unknown Spark version '3.5.9'; valid: 3.5.7, 3.5.8, 4.1.0, 4.1.1"),
        ("4.1.1", "cuda", "unknown variant 'cuda'; valid: baseline, gpu, iceberg, gpu-iceberg"),
        ("3.5.8", "gpu-iceberg", "not built for Spark 3.5; valid there: baseline, gpu, iceberg"),
    ],
)
def test_bad_input_names_what_is_valid(spark, variant, message):
    with pytest.raises(matrix.MatrixError, match=message.replace("(", r"\(").replace(")", r"\)")):
        matrix.image(spark, variant)


def test_narrowing_by_variant_or_version():
    assert [i.name for i in matrix.images(variant="gpu-iceberg")] == [
        "jupyter-4.1.0-gpu-iceberg",
        "jupyter-4.1.1-gpu-iceberg",
    ]
    assert len(matrix.images(spark_version="3.5.8")) == 3


@pytest.mark.parametrize(
    ("spark", "override"),
    [("4.1.1", None), ("4.1.0", "4.1.1"), ("3.5.7", "3.5.5"), ("3.5.8", "3.5.5")],
)
def test_rapids_shim_override_only_where_the_jar_lacks_the_version(spark, override):
    assert matrix.image(spark, "gpu").rapids_shim_override == override


def test_shim_provider_class_names_the_shim_package():
    assert matrix.shim_provider_class("4.1.1") == "com.nvidia.spark.rapids.shims.spark411.SparkShimServiceProvider"


def test_no_shim_for_a_whole_line_is_an_error():
    with pytest.raises(matrix.MatrixError, match="no shim for Spark 3.4.x"):
        matrix.shim_override("3.4.1", ("3.5.0",))


def test_labels_carry_versions_and_the_labelled_override():
    labels = images.labels(matrix.image("4.1.0", "gpu-iceberg"))
    assert labels["io.jupyter-spark.spark.version"] == "4.1.0"
    assert labels["io.jupyter-spark.iceberg.version"] == "1.12.0"
    assert labels["io.jupyter-spark.rapids.version"] == "26.08.1"
    assert labels["io.jupyter-spark.rapids.shim-override"] == "4.1.1 (untested upstream)"
    assert "io.jupyter-spark.rapids.version" not in images.labels(matrix.image("4.1.1", "iceberg"))


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
    for image in matrix.images(variant="baseline"):
        assert matrix.budget(image) == 1_500_000_000 <= matrix.BASELINE_CEILING == 3 * 10**9


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
    image = matrix.image(spark, variant)
    assert [j.filename for j in matrix.added_jars(image)] == jars
    sizes = sum(j.size for j in matrix.added_jars(image))
    assert matrix.budget(image) == matrix.BASELINE_BUDGET + sizes + len(jars) * matrix.COMPONENT_MARGIN
    assert sum(size for _, size in matrix.budget_parts(image)) == matrix.budget(image)


@pytest.mark.parametrize(("name", "measured"), MEASURED_GB.items())
def test_every_measured_image_is_within_its_budget(name, measured):
    image = next(i for i in matrix.images() if i.name == name)
    assert measured * 1e9 < matrix.budget(image)


def test_every_image_has_a_budget_and_gpu_images_the_largest():
    budgets = {i.name: matrix.budget(i) for i in matrix.images()}
    assert len(budgets) == 14
    assert budgets["jupyter-4.1.1-gpu-iceberg"] > budgets["jupyter-4.1.1-gpu"] > budgets["jupyter-4.1.1-iceberg"]
    assert budgets["jupyter-4.1.1-iceberg"] > budgets["jupyter-4.1.1"] == budgets["jupyter-3.5.7"]


def test_the_explain_only_gpu_fallback_is_marked_for_rapids_25_04_only():
    marked = {line.rapids.jar.version: line.rapids.explain_needs_gpu for line in matrix.LINES.values()}
    assert marked == {"25.04.0": True, "26.08.1": False}


def test_size_check_applies_the_budget_to_every_image_and_says_it():
    from pipeline.checks import facts
    from pipeline.checks.result import CheckFailed

    baseline, gpu = matrix.image("4.1.1", "baseline"), matrix.image("4.1.1", "gpu-iceberg")
    assert "within its budget 1.50 GB (baseline" in facts.check_size(baseline, 1_460_000_000)
    detail = facts.check_size(gpu, 2_510_000_000)
    assert "budget 2.66 GB = baseline 1.50 GB + rapids-4-spark_2.13-26.08.1.jar 1.01 GB" in detail
    with pytest.raises(CheckFailed, match="jupyter-4.1.1 is 1.51 GB uncompressed .* over its budget 1.50 GB"):
        facts.check_size(baseline, 1_510_000_000)
    with pytest.raises(CheckFailed, match="over its budget 2.66 GB"):
        facts.check_size(gpu, 2_700_000_000)
    with pytest.raises(CheckFailed, match="over its budget 1.60 GB"):
        facts.check_size(matrix.image("3.5.7", "iceberg"), 1_700_000_000)
