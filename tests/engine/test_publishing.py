"""Publishing on the real engine and the local registry: every image verified before anything is
pushed, then each push on its own (the immutable tag first, :latest last), failures reported and never
counted as pushed, the immutable tag never moved to other content, :latest never moved by a refused image."""

from __future__ import annotations

import uuid

import pytest

from pipeline import catalog, publish, recipe, registry_tools, shipping
from pipeline.checks.result import CheckResult, ImageResult

pytestmark = pytest.mark.engine

REGISTRY = "10.87.0.1:5000"  # the engine's local registry, as the engine's containers reach it (conftest.py)
DOWN = "localhost:5999"  # nothing listens there
FAST = {"push": 300.0}  # a cold engine builds crane first (about 150 s here)


async def passed(image: catalog.Image, ctr, digest: str | None = None) -> shipping.Built:
    """A built image with a passing result and its digest as checked (publishing trusts the result; the
    checks are tested elsewhere)."""
    digest = digest or await shipping.manifest_digest(ctr, recipe.BuildOptions())
    result = ImageResult(image.name, [CheckResult("facts", "passed", 1.0, "ok")], digest=digest)
    return shipping.Built(image, ctr, result)


async def test_a_registry_that_cannot_be_read_is_named_and_nothing_is_pushed(build):
    # a read that fails is never "the tag is not there": the image is refused before any push
    image, ctr = build("4.1.1", "baseline")
    out = await shipping.publish_passed([await passed(image, ctr)], f"{DOWN}/ci", None, None, "down", FAST)
    assert out.pushed == [] and out.refused == []
    assert len(out.failed) == 1 and out.failed[0].startswith("jupyter-4.1.1: cannot read ") and DOWN in out.failed[0]
    assert "so nothing is pushed for it" in out.failed[0]


async def test_the_immutable_tag_never_moves_and_other_pushes_go_on(build):
    image, ctr = build("4.1.1", "baseline")
    other = catalog.image("4.1.1", "iceberg")
    namespace, rev = f"{REGISTRY}/immutable-{uuid.uuid4().hex[:8]}", "0123456789ab"
    checked = await passed(image, ctr)
    first = await shipping.publish_passed([checked], namespace, None, None, rev, FAST)
    assert len(first.pushed) == 2 and not first.failed
    assert {ref.split("@")[1] for ref in first.pushed} == {checked.result.digest}  # what was checked is what ships
    latest, immutable = publish.references(namespace, image, rev)
    held = await publish.digest_of(immutable)
    assert held and first.pushed == [f"{immutable}@{held}", f"{latest}@{held}"]  # the immutable tag first

    # the same content again: the tag already holds it, which is fine
    again = await shipping.publish_passed([await passed(image, ctr)], namespace, None, None, rev, FAST)
    assert again.pushed == first.pushed and not again.failed

    # other content under the same revision: refused for that image, the next image still pushed
    changed = ctr.with_label("io.jupyter-spark.test", uuid.uuid4().hex)
    out = await shipping.publish_passed(
        [await passed(image, changed), await passed(other, ctr)], namespace, None, None, rev, FAST
    )
    assert len(out.failed) == 1 and "an immutable tag never moves" in out.failed[0]
    assert await publish.digest_of(immutable) == held
    assert await publish.digest_of(latest) == held  # the refused image left :latest where it was
    assert [ref.split("@")[0] for ref in out.pushed] == publish.references(namespace, other, rev)[::-1]


async def test_images_that_failed_are_refused_and_not_pushed(build):
    image, ctr = build("4.1.1", "baseline")
    failed = shipping.Built(image, ctr, ImageResult(image.name, [CheckResult("facts", "failed", 1.0, "broken")]))
    namespace = f"{REGISTRY}/refused-{uuid.uuid4().hex[:8]}"
    out = await shipping.publish_passed([failed], namespace, None, None, "refused", FAST)
    assert out.refused == ["jupyter-4.1.1"] and out.pushed == [] and out.failed == []
    assert await publish.digest_of(f"{namespace}/jupyter-4.1.1:latest") is None


async def test_a_push_whose_manifest_is_not_the_checked_one_fails(build):
    image, ctr = build("4.1.1", "baseline")
    namespace = f"{REGISTRY}/unchecked-{uuid.uuid4().hex[:8]}"
    other = "sha256:" + "0" * 64  # as if the checks had seen other bytes
    out = await shipping.publish_passed([await passed(image, ctr, other)], namespace, None, None, "rev", FAST)
    assert len(out.failed) == 1 and f"not the checked {other}" in out.failed[0] and out.pushed == []
    for ref in publish.references(namespace, image, "rev"):  # verified before any push: nothing went
        assert await publish.digest_of(ref) is None, f"{ref} was pushed after a mismatch"


async def test_a_push_copies_the_checked_archive_and_never_tags_another_manifest(build, opts):
    # the push copies the archive whose digest was checked (an engine's own export of the same container can
    # carry other bytes: after an engine restart, tests/faults); an archive with another digest pushes nothing
    image, ctr = build("4.1.1", "baseline")
    namespace = f"{REGISTRY}/bydigest-{uuid.uuid4().hex[:8]}"
    latest, immutable = publish.references(namespace, image, "rev")
    where, archive = registry_tools.Registry(REGISTRY), shipping.tarball(ctr, opts)
    other, pushed = "sha256:" + "0" * 64, []
    with pytest.raises(publish.NotChecked, match=f"not the checked {other}; no tag was written"):
        await publish.push(where, opts, archive, [immutable, latest], other, present=False, pushed=pushed)
    assert pushed == []
    for ref in (latest, immutable):
        assert await publish.digest_of(ref) is None, f"{ref} was written for a manifest that was not checked"
    checked = await shipping.manifest_digest(ctr, opts)
    await publish.push(where, opts, archive, [immutable, latest], checked, present=False, pushed=pushed)
    assert pushed == [f"{immutable}@{checked}", f"{latest}@{checked}"]
    for ref in (latest, immutable):
        assert await publish.digest_of(ref) == checked
