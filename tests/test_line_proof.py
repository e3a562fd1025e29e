"""What a line proof covers natively (pure logic): the checks its prover passed that none of the image's own
features' layers touch (feature_layers.LEAVES_PROVEN). tests/test_images.py runs it on real images."""

from __future__ import annotations

import pytest

from pipeline import feature_layers, product
from pipeline.checks import CHECKS, LineProof, python_layers
from pipeline.checks.result import CheckResult, ImageResult

NOT_APPLICABLE = {"iceberg", "rapids", "gpu"}  # a baseline's: skipped there, so proven nowhere


def prover(emulated: bool = False, **statuses: str) -> ImageResult:
    """A line prover's result: the checks a baseline passes, or the statuses given."""
    checks = [
        CheckResult(name, statuses.get(name, "skipped" if name in NOT_APPLICABLE else "passed"), 1.0, "")
        for name in CHECKS
    ]
    return ImageResult("jupyter-4.1.1", checks, "linux/amd64", emulated, layers=["sha256:" + "0" * 64] * 20)


def proof(*features: product.Feature, of: ImageResult | None = None) -> LineProof:
    return LineProof(of or prover(), ["sha256:" + "1" * 64] * 4, features)


def test_a_rapids_layer_leaves_proven_what_its_files_do_not_touch():
    covered = {"jupyterlab", "spark-connect", "cluster", "any-uid", "redaction", "updates"}
    assert proof("rapids").covers() == covered


def test_an_iceberg_layer_on_every_spark_sessions_classpath_leaves_proven_what_starts_no_spark():
    assert proof("iceberg").covers() == {"any-uid", "updates"}
    assert proof("rapids", "iceberg").covers() == {"any-uid", "updates"}  # each layer's: what neither touches


@pytest.mark.parametrize("check", sorted(feature_layers.LEAVES_PROVEN["rapids"]))
def test_a_check_the_prover_did_not_pass_is_run_again(check):
    for status in ("failed", "skipped"):
        assert check not in proof("rapids", of=prover(**{check: status})).covers()


def test_every_image_runs_what_no_layer_can_leave_proven():
    every_image = {"size", "facts", "advisories"}  # each image's own bytes, jars and labels
    for feature in product.FEATURES:
        assert not every_image & proof(feature).covers()
    assert set(feature_layers.LEAVES_PROVEN) == set(product.FEATURES)
    assert all(set(names) <= set(CHECKS) for names in feature_layers.LEAVES_PROVEN.values())


def test_no_own_features_or_an_emulated_prover_covers_nothing_natively():
    assert proof().covers() == frozenset()
    assert proof("rapids", of=prover(emulated=True)).covers() == frozenset()


def test_the_proof_names_the_prover_and_the_own_layers_features():
    said = proof("rapids").covers_note()
    assert said.startswith("proven on jupyter-4.1.1 (checked at None), whose 20 layers this image shares")
    assert "own 4 layers (" in said and ": rapids)" in said


def test_an_image_on_a_proof_shares_the_bytecode_of_its_provers_python_files():
    own = ["sha256:" + "2" * 64] * 22  # the prover's 20 layers and the image's 2
    assert python_layers(own, proof("iceberg")) == python_layers(prover().layers, None)
    assert python_layers(own, None) != python_layers(prover().layers, None)  # without a proof: its own files'
    assert python_layers([], None) is None  # layers not known: the check run's own cache
