"""Image paths live in pipeline/paths.py: layers write there, probes are told where (arguments),
and rapids.conf is read by one rule, the kernel launcher's."""

import importlib.util
import os
import re
import subprocess
from pathlib import Path

from pipeline import catalog, feature_layers, paths
from pipeline.checks import facts, rapids
from pipeline.recipe import ROOT

PROBES = ROOT / "pipeline/checks/probes"
KERNEL = ROOT / "pipeline/files/pyspark-kernel"


def _probe_module(name: str):
    spec = importlib.util.spec_from_file_location(name, PROBES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_probes_hold_no_image_path_but_the_runners_own_mounts():
    """Paths inside the image come to the probes as arguments (pipeline/paths.py), never as literals."""
    literals = {
        str(p.name): re.findall(r"/(?:opt|usr/lib/jvm|home/jovyan)\b[^\s\"']*", p.read_text())
        for p in PROBES.glob("*.py")
    }
    assert {name: found for name, found in literals.items() if found} == {}


def test_the_checks_hand_the_probes_the_paths_of_paths_py():
    assert rapids.PROBE_PATHS == ("--jar", paths.RAPIDS_JAR, "--kernels", paths.KERNELS)
    assert (
        "paths.SPARK_JARS" in Path(facts.__file__).read_text()
        and "paths.RAPIDS_JAR" in Path(facts.__file__).read_text()
    )


def test_the_kernel_launcher_reads_rapids_conf_where_the_layer_writes_it():
    assert '"$SPARK_HOME/conf/rapids.conf"' in KERNEL.read_text()
    assert f"{paths.SPARK_HOME}/conf/rapids.conf" == paths.RAPIDS_CONF
    assert f"cat > {paths.RAPIDS_CONF} <<'CONF'" in feature_layers.rapids(catalog.image("4.1.0", "gpu")).steps[2].script


def test_rapids_conf_is_read_by_one_rule_the_kernels(tmp_path):
    """The probes ask the kernel launcher for its arguments and split them as pyspark does."""
    conf = feature_layers.rapids_conf(catalog.image("4.1.0", "gpu")) + "\n# a comment\n\nUpper not a key\n"
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf/rapids.conf").write_text(conf)
    env = os.environ | {"SPARK_HOME": str(tmp_path), "PYSPARK_KERNEL_PRINT_ARGS": "1", "SPARK_MASTER": "local[1]"}
    args = subprocess.run(["bash", str(KERNEL), "rapids"], env=env, capture_output=True, text=True, check=True).stdout
    assert args.startswith("--master local[1] --conf ") and args.strip().endswith("pyspark-shell")
    expected = dict(
        line.split(" ", 1) for line in feature_layers.rapids_conf(catalog.image("4.1.0", "gpu")).splitlines()
    )
    assert _probe_module("rapids_conf").confs(args) == expected
    assert expected["spark.driver.extraClassPath"] == paths.RAPIDS_JAR


def test_java_home_is_derived_from_the_java_major():
    assert paths.java_home("17") == "/usr/lib/jvm/java-17"
    assert paths.java_home("21") == "/usr/lib/jvm/java-21"
    assert paths.debian_jre_package("21") == "openjdk-21-jre-headless"
