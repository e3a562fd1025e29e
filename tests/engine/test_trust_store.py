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


# in a build step: each CA file the engine's set-up wrote for the exec, whether the system's bundle and the
# bundle the step's downloads trust (SSL_CERT_FILE) hold it (by its first line of base64), and the
# update-ca-certificates the step's own commands run
ENGINE_CAS_IN_STEP = """for crt in /usr/local/share/ca-certificates/*.crt; do
  [ -e "$crt" ] || continue
  line=$(sed -n 2p "$crt")
  grep -qF "$line" /etc/ssl/certs/ca-certificates.crt && echo "$crt: in the system's bundle"
  grep -qF "$line" "$SSL_CERT_FILE" && echo "$crt: trusted by the step's downloads"
done
echo "the step runs $(command -v update-ca-certificates)"
"""


async def test_the_engines_ca_set_up_around_a_step_leaves_the_trust_store_alone(client, opts):  # noqa: ARG001
    """The engine's CA set-up before and after a build step runs the no-op each step mounts first on its
    PATH (recipe.CA_HOOK_NOOP): the step's downloads trust the engine's CAs (CA_ENV), the system's bundle
    does not hold them, the step's own commands run Debian's update-ca-certificates, and nothing of the
    no-op or the step's bundle stays in the image."""
    ctr = installed_with(stages.trust_store(JAVA), opts)
    after = recipe.apply(ctr, recipe.Layer(steps=(recipe.Run(ENGINE_CAS_IN_STEP),)), opts)
    said = await after.stdout()
    if ": trusted by the step's downloads" not in said:
        pytest.skip("this engine trusts no CAs of its own: it sets none up around an exec")
    assert ": in the system's bundle" not in said, said
    assert "the step runs /usr/sbin/update-ca-certificates" in said, said
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    assert await after.file(bundle).contents() == await ctr.file(bundle).contents()
    assert await after.directory("/usr/local/sbin").entries() == []
    assert recipe.ENGINE_CAS_DIR.rsplit("/", 1)[1] not in await after.directory("/run").entries()
