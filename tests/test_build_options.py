"""Build options for air-gapped and corporate networks, on the real engine."""

import hashlib
from pathlib import Path

import pytest
from dagger import dag

from pipeline import recipe, releases, spark_base_layer

pytestmark = pytest.mark.engine

HOST_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"  # trusts this network's TLS proxy
POM = "junit/junit/4.13.2/junit-4.13.2.pom"


async def test_ca_bundle_is_used_while_building_and_not_kept(client, native):
    # This engine already trusts the proxy (it injects the host's CAs), so a build cannot fail for
    # want of the bundle here: the step proves instead that curl and pip are pointed at exactly it.
    digest = hashlib.sha256(Path(HOST_BUNDLE).read_bytes()).hexdigest()
    step = recipe.Run(
        f'test "$(sha256sum < "$CURL_CA_BUNDLE")" = "{digest}  -" && test "$PIP_CERT" = "$CURL_CA_BUNDLE"\n'
        f'curl -fsS -o /dev/null "$MAVEN_REPO/{POM}"'
    )
    base = spark_base_layer.build(releases.release("4.1.1"), recipe.BuildOptions(), native)
    opts = recipe.BuildOptions(ca_bundle=dag.host().file(HOST_BUNDLE))
    built = recipe.apply(base, recipe.Layer((step,), args=("MAVEN_REPO",)), opts)
    await built.sync()
    assert await built.env_variable("CURL_CA_BUNDLE") is None
    assert await built.env_variable("PIP_CERT") is None
    leftover = await built.with_exec(["bash", "-c", f"ls {recipe.BUILD_CA} 2>&1 || true"]).stdout()
    assert "No such file" in leftover
