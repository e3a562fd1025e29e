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
