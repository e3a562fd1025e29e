"""The module installs the way Dagger v0.21.8's Python SDK runtime installs it, reproduced step by
step on the real engine (dagger/dagger sdk/python/runtime, main.go): the module's context
directory as the engine uploads it, the client library vendored into sdk/ (WithSDK), the runtime's
uv environment (WithBase), `uv lock` (WithUpdates: uv.lock exists), `uv sync --no-dev`
(WithInstall), then the main object loaded through the `dagger.mod` entry point, as the runtime's
entry point does. Only the base image differs: python:3.11-slim is not reachable here, so Debian
bookworm's Python 3.11 with the runtime's uv 0.10.3 from PyPI (hash-locked in requirements/dev.txt)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import dagger
import pytest
from dagger import dag

from pipeline.recipe import ROOT

pytestmark = pytest.mark.engine

DEBIAN = "debian:bookworm-slim"
CONTEXT = "/src/jupyter-spark-images"  # the runtime mounts the context directory at a path of its own
RUNTIME_ENV = {  # WithBase, WithInstall
    "PYTHONUNBUFFERED": "1",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "UV_SYSTEM_PYTHON": "1",
    "UV_LINK_MODE": "copy",
    "UV_NATIVE_TLS": "1",
    "UV_PROJECT_ENVIRONMENT": "/opt/venv",
    "UV_COMPILE_BYTECODE": "1",
}
UPLOAD_NEVER = ("build", ".cache", ".venv", "sdk")
LOAD_MAIN_OBJECT = """
from dagger.mod.cli import get_entry_point, load_module
ep = get_entry_point()
load_module()
cls = ep.load()
print(ep.value)
print(" ".join(sorted(n for n, f in vars(cls).items() if hasattr(f, "__dagger_function__"))))
"""


def uv_requirement() -> str:
    """The hash-locked uv stanza of requirements/dev.txt (the version Dagger v0.21.8's runtime uses)."""
    text = (ROOT / "requirements" / "dev.txt").read_text()
    match = re.search(r"^uv==\S+(?: \\\n\s+--hash=\S+)+", text, re.M)
    assert match, "requirements/dev.txt has no hash-locked uv"
    return match.group(0) + "\n"


@pytest.fixture(scope="module")
def offline_module(tmp_path_factory) -> Path:
    """This module as the engine loads it (offline/offline-module.sh), plus what must never be uploaded."""
    dest = tmp_path_factory.mktemp("module") / "jupyter-spark-images"
    subprocess.run([ROOT / "offline" / "offline-module.sh", dest], check=True, capture_output=True)
    for name in UPLOAD_NEVER:
        (dest / name).mkdir(exist_ok=True)
        (dest / name / "never-uploaded").write_text("x")
    return dest


@pytest.fixture(scope="module")
def vendored_sdk(tmp_path_factory) -> dagger.Directory:
    dest = tmp_path_factory.mktemp("vendor") / "sdk"
    subprocess.run([ROOT / "offline" / "vendor-sdk.sh", dest], check=True, capture_output=True)
    return dag.host().directory(str(dest))


def uploaded(path: Path) -> dagger.Directory:
    """The module's context directory exactly as the engine uploads it for a module load."""
    return dag.module_source(str(path)).context_directory()


async def test_the_upload_never_carries_build_outputs_caches_or_the_vendored_sdk(client, offline_module):
    entries = await uploaded(offline_module).entries()
    assert {"dagger.json", "pyproject.toml", "uv.lock", "pipeline/", "requirements/"} <= set(entries)
    assert not {f"{name}/" for name in UPLOAD_NEVER} & set(entries), entries
    # dagger.json's own rules, not only .gitignore's
    (offline_module / ".gitignore").unlink()
    entries = await uploaded(offline_module).entries()
    assert not {f"{name}/" for name in UPLOAD_NEVER} & set(entries), entries


def runtime(context: dagger.Directory, sdk: dagger.Directory) -> dagger.Container:
    """Dagger's Python runtime up to the install: uv, the environment, the source with sdk/ vendored."""
    ctr = (
        dag.container()
        .from_(DEBIAN)
        .with_exec(
            [
                "sh",
                "-c",
                "apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null"
                # like python:3.11-slim: `python`, and not marked externally managed
                " && ln -s /usr/bin/python3 /usr/local/bin/python && rm /usr/lib/python3.11/EXTERNALLY-MANAGED",
            ]
        )
        .with_new_file("/tmp/uv.txt", uv_requirement())
        .with_exec(["sh", "-c", "python3 -m venv /opt/uv && /opt/uv/bin/pip install -q --require-hashes -r /tmp/*.txt"])
        .with_exec(["ln", "-s", "/opt/uv/bin/uv", "/usr/local/bin/uv"])
    )
    for name, value in RUNTIME_ENV.items():
        ctr = ctr.with_env_variable(name, value)
    source = context.with_file("dagger.json", dag.host().file(str(ROOT / "dagger.json"))).with_directory("sdk", sdk)
    return ctr.with_mounted_directory(CONTEXT, source).with_workdir(CONTEXT)


async def install(ctr: dagger.Container) -> dagger.Container:
    """WithUpdates and WithInstall: with uv.lock, `uv lock` then `uv sync --no-dev` (venv activated);
    without, `uv pip install -e ./sdk -e .` then `uv pip check`."""
    if "uv.lock" in await ctr.directory(".").entries():
        return (
            ctr.with_exec(["uv", "lock"])
            .with_exec(["uv", "sync", "--no-dev"])
            .with_env_variable("VIRTUAL_ENV", "/opt/venv")
            .with_env_variable("PATH", "/opt/venv/bin:$PATH", expand=True)
        )
    return ctr.with_exec(["uv", "pip", "install", "-e", "./sdk", "-e", "."]).with_exec(["uv", "pip", "check"])


@pytest.mark.parametrize("lock", [True, False], ids=["uv.lock", "no-lock"])
async def test_the_module_installs_as_daggers_python_runtime_installs_it(client, offline_module, vendored_sdk, lock):
    context = uploaded(offline_module)
    ctr = await install(runtime(context if lock else context.without_file("uv.lock"), vendored_sdk))
    if lock:
        assert await ctr.file("uv.lock").contents() == (ROOT / "uv.lock").read_text(), "uv.lock is stale: make lock"
    out = await ctr.with_exec(["python", "-c", LOAD_MAIN_OBJECT]).stdout()
    entry_point, functions = out.strip().splitlines()
    assert entry_point == "pipeline:JupyterSparkImages"
    assert functions.split() == sorted(
        [
            "build",
            "build_all",
            "dockerfiles",
            "gate",
            "generate_dockerfiles",
            "images_pass",
            "matrix",
            "merge",
            "publish",
            "spark_base",
            "test",
            "test_all",
            "verify",
        ]
    )
    where = "import dagger, importlib.metadata as m; print(m.version('dagger-io'), dagger.__file__)"
    assert (await ctr.with_exec(["python", "-c", where]).stdout()).split() == [
        "0.0.0",
        f"{CONTEXT}/sdk/src/dagger/__init__.py",
    ]


async def test_a_pinned_dagger_io_cannot_install_from_the_vendored_sdk(client, offline_module, vendored_sdk):
    """The packaging bug this guards against (the project before uv.lock and [tool.uv.sources]): the
    vendored client says 0.0.0, so a pinned dagger-io cannot resolve."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    pinned = pyproject.replace('    "dagger-io",\n', '    "dagger-io==0.21.8",\n')
    assert pinned != pyproject
    context = uploaded(offline_module).with_new_file("pyproject.toml", pinned).without_file("uv.lock")
    with pytest.raises(dagger.ExecError) as failure:
        await (await install(runtime(context, vendored_sdk))).sync()
    assert "requires `dagger-io==0.21.8`, but `0.0.0` is installed" in str(failure.value.stderr)
