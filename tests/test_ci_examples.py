"""The CI examples call functions that exist, with arguments they take: every `dagger call` in
ci-examples/ parses with `python -m pipeline`'s parser, which mirrors the module's functions."""

from __future__ import annotations

import json
import re
import shlex

import pytest
import yaml

from pipeline.__main__ import parser
from pipeline.recipe import ROOT

EXAMPLES = sorted((ROOT / "ci-examples").glob("*.yml"))


def calls(text: str) -> list[str]:
    """The argument strings of every `dagger call` (GitHub `call:` inputs and GitLab script lines)."""
    found = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "call" and isinstance(value, str):
                    found.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                if isinstance(item, str) and item.startswith("dagger call "):
                    found.append(item.removeprefix("dagger call "))
                walk(item)

    walk(yaml.safe_load(text))
    return found


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_dagger_call_in_the_ci_examples_is_a_valid_call(example):
    found = calls(example.read_text())
    assert found, f"no dagger call in {example.name}"
    for args in found:
        plain = re.sub(r"\$\{\{[^}]*\}\}|\$[A-Z_]+", "X", args)  # CI expressions and variables
        parsed = parser().parse_args(shlex.split(plain))
        assert parsed.function in {"build-all", "gate", "test", "publish", "merge", "matrix"}, args


def test_the_matrix_function_gives_the_fan_out_jobs_every_image_once():
    from pipeline import catalog
    from pipeline.main import JupyterSparkImages

    jobs = json.loads(JupyterSparkImages.matrix(None, spark_version="", variant=""))
    assert [(j["spark-version"], j["variant"]) for j in jobs] == [
        (i.spark.version, i.variant) for i in catalog.images()
    ]
    assert len({j["name"] for j in jobs}) == len(jobs)
    gpu_iceberg = json.loads(JupyterSparkImages.matrix(None, spark_version="", variant="gpu-iceberg"))
    assert [j["name"] for j in gpu_iceberg] == [i.name for i in catalog.images(variant="gpu-iceberg")]


@pytest.mark.parametrize("example", ["github-actions-fanout.yml", "gitlab-ci.yml"])
def test_the_per_platform_examples_push_each_platform_and_merge_after_every_platform_job(example):
    found = [parser().parse_args(shlex.split(re.sub(r"\$\{\{[^}]*\}\}|\$[A-Z_]+", "X", args))) for args in calls(
        (ROOT / "ci-examples" / example).read_text()
    )]  # fmt: skip
    publishes = [p for p in found if p.function == "publish"]
    assert publishes and all(p.per_platform and not p.platform for p in publishes)  # each runner's own platform
    assert [p.function for p in found][-1] == "merge"
