"""The Kubernetes examples name what the images are: every image, version, command, path, uid, port and
environment variable in kubernetes-examples/ checked against the pipeline's facts (pure logic). The
Spark Connect server's main class and image run for real in tests/engine/test_kubernetes.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline import catalog, jupyter_layer, paths, releases, spark_base_layer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "kubernetes-examples"
REGISTRY = "registry.example.com/jupyter/"


def load(name: str) -> list[dict]:
    return list(yaml.safe_load_all((EXAMPLES / name).read_text()))


def spark_base_names() -> dict[str, releases.SparkRelease]:
    """The Spark base images by name (`dagger call spark-base`, titled by spark_base_layer.layer)."""
    return {
        spark_base_layer.layer(release).labels["org.opencontainers.image.title"]: release
        for release in releases.SPARK_RELEASES
    }


def image_name(reference: str) -> str:
    assert reference.startswith(REGISTRY), reference
    return reference.removeprefix(REGISTRY).split(":")[0]


def test_the_jupyterhub_profiles_name_images_commands_and_paths_the_images_have():
    singleuser = load("jupyterhub-profiles.yaml")[0]["singleuser"]
    images = {image.name: image for image in catalog.images()}
    profiles = [p.get("kubespawner_override", {}).get("image") for p in singleuser["profileList"]]
    default = f"{singleuser['image']['name']}:{singleuser['image']['tag']}"
    for reference in [default, *filter(None, profiles)]:
        assert image_name(reference) in images, f"{reference}: not an image of the matrix ({sorted(images)})"
    assert singleuser["cmd"] in jupyter_layer.START_SCRIPTS
    assert (singleuser["uid"], singleuser["fsGid"]) == (paths.NB_UID, paths.NB_GID)
    assert singleuser["storage"]["homeMountPath"] == paths.JOVYAN_HOME
    kernel = (ROOT / "pipeline/files/pyspark-kernel").read_text()
    for variable in singleuser["extraEnv"]:
        assert f"${{{variable}" in kernel, f"{variable}: the kernels do not read it"
    opened = {p["port"] for rule in singleuser["networkPolicy"]["ingress"] for p in rule["ports"]}
    assert set(jupyter_layer.DRIVER_PORTS.values()) <= opened, "the notebook's driver ports must be let in"
    for profile in singleuser["profileList"]:  # a GPU asked for where the image has RAPIDS, and only there
        override = profile.get("kubespawner_override", {})
        image = images[image_name(override.get("image", default))]
        assert ("nvidia.com/gpu" in override.get("extra_resource_limits", {})) == image.rapids, profile


def test_the_spark_connect_server_names_a_spark_base_of_its_versions_and_a_service_at_its_port():
    application, service = load("spark-connect-server.yaml")
    assert (application["apiVersion"], application["kind"]) == ("spark.apache.org/v1", "SparkApplication")
    conf = application["spec"]["sparkConf"]
    release = spark_base_names()[image_name(conf["spark.kubernetes.container.image"])]
    versions = application["spec"]["runtimeVersions"]
    assert (versions["sparkVersion"], versions["scalaVersion"]) == (release.version, releases.LINES[release.line].scala)
    port = int(conf["spark.connect.grpc.binding.port"])
    assert port in {p["targetPort"] for p in service["spec"]["ports"]}
    label = {k.removeprefix("spark.kubernetes.driver.label."): v for k, v in conf.items() if ".driver.label." in k}
    assert service["spec"]["selector"].items() <= label.items(), "the Service must select the driver's pod"


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_example_says_how_it_is_checked(name):
    assert "tests/" in (EXAMPLES / name).read_text().split("\napiVersion")[0].split("\nsingleuser")[0]


def kubernetes_own(document: dict) -> bool:
    """A resource of Kubernetes itself (v1, apps/v1, networking.k8s.io/v1, ...), not of an operator's CRD."""
    group = document["apiVersion"].rpartition("/")[0]
    return not group or "." not in group or group.endswith(".k8s.io")


def test_the_kubernetes_resources_validate_against_kubernetes_published_schemas():
    # Kubernetes' OpenAPI schemas, as kubernetes-validate (requirements/dev.in) ships them; the operator's
    # SparkApplication and the Helm values have no schema here (not validated: docs/cluster.md says so)
    import kubernetes_validate

    version = kubernetes_validate.latest_version()
    own = [
        d
        for path in sorted(EXAMPLES.glob("*.yaml"))
        for d in load(path.name)
        if "apiVersion" in d and kubernetes_own(d)
    ]
    assert [d["kind"] for d in own] == ["Service"]
    for document in own:
        kubernetes_validate.validate(document, version, strict=True)
    broken = {**own[0], "spec": {**own[0]["spec"], "ports": [{"name": "grpc", "port": "15002"}]}}
    with pytest.raises(kubernetes_validate.ValidationError, match="'15002' is not of type 'integer'"):
        kubernetes_validate.validate(broken, version, strict=True)
