"""Registry addresses and image references, as the OCI distribution spec defines them (pure logic)."""

from __future__ import annotations


import pytest

from pipeline import catalog, publish
from pipeline.errors import UsageError

GOOD_ADDRESSES = [
    "localhost:5000/jupyter",
    "localhost",
    "registry.example.com",
    "registry.example.com/team/sub",
    "Registry.Example.com/team",  # the host is case-insensitive; the path is not
    "10.0.0.1:5000/x",
    "[::1]:5000/jupyter",
    "myregistry:5000/team",  # a port makes it a host
    "registry.example.com/team__a/b-c/d.e/f_g/h--i",
]
BAD_ADDRESSES = [
    "",
    "bad registry!",
    "jupyter",  # a Docker Hub namespace, not a registry
    "team/jupyter",
    "host.com/Team",
    "https://registry.example.com/team",
    "registry.example.com//team",
    "registry.example.com/-team",
    "registry.example.com/team-",
    "registry.example.com/a...b",
    "registry.example.com:port/team",
    "registry.example.com/team:latest",
    "-registry.example.com/team",
    "registry.example.com/" + "x" * 240,  # the name would exceed 255 characters
]


@pytest.mark.parametrize("good", GOOD_ADDRESSES)
def test_registry_addresses_accepted(good):
    assert publish.registry_address(good + "/") == good


@pytest.mark.parametrize("bad", BAD_ADDRESSES)
def test_malformed_registry_addresses_refused(bad):
    with pytest.raises(UsageError, match="registry address"):
        publish.registry_address(bad)


@pytest.mark.parametrize(
    "ref",
    [
        "localhost:5000/ci/jupyter-4.1.1:latest",
        "registry.example.com/team/jupyter-3.5.7-gpu:20261126-0123456789ab",
        "jupyter-4.1.1@sha256:" + "a" * 64,
        "[::1]:5000/x:v1.0_rc-1",
    ],
)
def test_valid_references(ref):
    assert publish.is_reference(ref)


@pytest.mark.parametrize(
    "ref",
    [
        "localhost:5000/ci/jupyter-4.1.1:",
        "localhost:5000/ci/jupyter-4.1.1:-tag",
        "localhost:5000/ci/jupyter-4.1.1:" + "t" * 129,
        "localhost:5000/ci/Jupyter:latest",
        "jupyter@sha256:abc",
    ],
)
def test_invalid_references(ref):
    assert not publish.is_reference(ref)


def test_references_are_valid_and_refuse_a_revision_that_makes_a_bad_tag():
    image = catalog.image("4.1.1", "gpu")
    refs = publish.references("localhost:5000/ci", image, "0123456789ab")
    assert refs[0] == "localhost:5000/ci/jupyter-4.1.1-gpu:latest" and refs[1].endswith("-0123456789ab")
    with pytest.raises(UsageError, match="not a valid image reference"):
        publish.references("localhost:5000/ci", image, "bad revision/with spaces")
