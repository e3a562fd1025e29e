"""Debian's trust store is made natively in a stage and put in place by the apt step that installs it
(recipe.TRUST_STORE); where the stage installed other releases of its packages than the step did, the
step makes the store itself, as dpkg would have."""

from __future__ import annotations

import dataclasses

import pytest
from dagger import dag

from pipeline import paths, recipe, stages

pytestmark = pytest.mark.engine

JAVA = "17"
PACKAGES = (*recipe.TRUST_PACKAGES, paths.debian_jre_package(JAVA))
JAVA_CAS = "keytool -list -cacerts -storepass changeit | grep -o 'SHA-256.*' | sort"
MADE_HERE = ": made here"  # what the step says when it makes the store itself


def installed_with(store: recipe.Stage, opts: recipe.BuildOptions):
    layer = recipe.Layer(args=("DEBIAN_MIRROR",), steps=(recipe.apt_install(*PACKAGES, trust_store=store),))
    return recipe.apply(dag.container().from_(stages.BASE_IMAGE), layer, opts)


async def test_the_stages_store_is_placed_and_one_of_other_releases_is_made_by_the_step(client, opts):  # noqa: ARG001
    made = stages.trust_store(JAVA)
    stale_versions = recipe.Run(f"echo 'ca-certificates 0' > {stages.OUT}/versions")
    stale = dataclasses.replace(
        made, name="trust-store-stale", layer=dataclasses.replace(made.layer, steps=(*made.layer.steps, stale_versions))
    )
    placed, remade = installed_with(made, opts), installed_with(stale, opts)
    assert MADE_HERE not in await placed.stderr()
    assert MADE_HERE in await remade.stderr()  # the stale store was not used
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    store = recipe.built_stage(made, opts, None).directory(f"{stages.OUT}/certs")
    assert await placed.file(bundle).contents() == await store.file("ca-certificates.crt").contents()
    assert await remade.file(bundle).contents() == await placed.file(bundle).contents()
    java_cas = [await ctr.with_exec(["bash", "-c", JAVA_CAS]).stdout() for ctr in (placed, remade)]
    assert java_cas[0] == java_cas[1] and java_cas[0].count("SHA-256") > 100, java_cas
    for ctr in (placed, remade):  # the command restored, no diversion left
        assert "update-ca-certificates" in await ctr.file("/usr/sbin/update-ca-certificates").contents()
        assert await ctr.with_exec(["dpkg-divert", "--list", "*update-ca-certificates*"]).stdout() == ""
        # a step after it, as the Jupyter layer's, around which the engine's CA set-up runs Java's hook: off
        # (recipe.KEYSTORE_HOOK_OFF), it leaves no changes pending (the engine's CAs, which a later
        # update-ca-certificates would try to add to the keystore)
        after = recipe.apply(ctr, recipe.Layer(steps=(recipe.Run("true"),)), opts)
        assert await pending_keystore_changes(after) == ""


async def pending_keystore_changes(ctr) -> str:
    """What Java's keystore hook listed and did not apply, as the image holds it (no exec: the engine's
    CA set-up around one would add to it)."""
    folder = ctr.directory(recipe.JAVA_PENDING)
    return await folder.file("pending").contents() if "pending" in await folder.entries() else ""
