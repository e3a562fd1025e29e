"""Every command the docs show (README.md, docs/, offline/README.md: their ```sh blocks) names what
exists: `dagger call` and `python -m pipeline` calls parse against the module's functions and options,
`make` targets are the Makefile's, `docker build` targets are stages of the rendered Dockerfiles, the
images and archive `docker` is given are the pipeline's. The commands that read a build's output (jq,
skopeo on docs/evidence.md) run in tests/engine/test_archives.py; the ones that build run in make test
(make build-all's path is the runner's, `dagger call`'s the module's: tests/engine/test_module.py)."""

from __future__ import annotations

import re
import shlex

import pytest

from pipeline import catalog, shipping, signing
from pipeline.cli import parser
from pipeline.main import JupyterSparkImages
from pipeline.recipe import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "offline" / "README.md"]
SHELL = {"set", "export", "cd", "."}  # the shell's own
READ_OUTPUT = {"jq", "skopeo"}  # run on a build's output by tests/engine/test_archives.py


def commands(text: str) -> list[list[str]]:
    """Each command of a document's sh blocks as words: continuation lines joined, comments dropped,
    `a && b` as two commands, $(...) and $VAR as a placeholder word."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r'"?\$\([^)]*\)"?|\$[A-Z_]+', "X", line)
            for command in line.split("&&"):
                words = shlex.split(command, comments=True)
                if words:
                    found.append(words)
    return found


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))


def stages(dockerfile: str) -> set[str]:
    return set(re.findall(r"^FROM \S+ AS (\S+)", (ROOT / dockerfile).read_text(), re.M))


def check(words: list[str]) -> None:
    tool, *args = words
    if tool in SHELL or tool in READ_OUTPUT:
        return
    if tool == "make":
        assert {a for a in args if "=" not in a} <= makefile_targets(), words
    elif tool == "dagger":
        if args[:1] == ["-m"]:
            args = args[2:]
        if args[0] == "call":
            parsed = parser().parse_args(args[1:])
            assert parsed.function.replace("-", "_") in vars(JupyterSparkImages), words
        else:  # the CLI's own verbs, which this module answers with a @check and a @generate
            assert args == [args[0]] and args[0] in {"functions", "check", "generate"}, words
    elif tool == "docker" and args[0] == "build":
        dockerfile = args[args.index("-f") + 1]
        if "--target" in args:
            assert args[args.index("--target") + 1] in stages(dockerfile), words
        assert (ROOT / dockerfile).is_file(), words
    elif tool == "cosign":  # as `verify` runs it (signing.verify_script; tests/test_images.py)
        flags = {a.split("=")[0] for a in args if a.startswith("--")}
        script = signing.verify_script("REF", "KEY")
        assert f"cosign {args[0]} " in script and all(f" {flag}" in script for flag in flags), words
    elif tool == "docker" and args[0] == "load":
        assert args[-1] == f"build/images/{shipping.COMBINED}", words
    elif tool == "docker" and args[0] == "run":
        assert args[-1] in {i.name for i in catalog.images()}, words
    else:
        pytest.fail(f"a documented command no test covers: {' '.join(words)}")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_documented_command_names_what_exists(doc):
    for words in commands(doc.read_text()):
        check(words)


def test_a_command_that_names_what_does_not_exist_is_caught():
    for wrong in (
        "make bulid-all",
        "dagger call tset --variant gpu",
        "dagger call test --varient gpu",
        "kubectl apply",
        "cosign verify --key k --allow-insecure-registry r",
    ):
        with pytest.raises((AssertionError, SystemExit, pytest.fail.Exception)):
            for words in commands(f"```sh\n{wrong}\n```"):
                check(words)
