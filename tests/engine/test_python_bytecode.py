"""Debian's Python is byte-compiled natively in a stage and put in place by the apt step that installs
Python (recipe.PYTHON_BYTECODE), on an emulated platform too; where the stage installed other releases
than the step did, the step compiles as dpkg's scripts would have."""

from __future__ import annotations

import dataclasses
import re

import dagger
import pytest
from dagger import dag

from pipeline import product, recipe, stages

pytestmark = pytest.mark.engine

# every module Debian's Python packages list under /usr (recipe.PYTHON_LISTED; /etc's are settings): its
# bytecode there, valid for the source as Python checks it (the header's magic number, the source's time
# and size), printed as the count of modules and any that is missing or stale
VALID = f"""{recipe.PYTHON_LISTED} | python3 -c '
import importlib.util as u, os, sys
modules = [p.strip() for p in sys.stdin]
bad = []
for source in modules:
    try:
        with open(u.cache_from_source(source), "rb") as f:
            header = f.read(16)
    except OSError:
        bad.append(f"missing: {{source}}")
        continue
    st = os.stat(source)
    if header[:4] != u.MAGIC_NUMBER or header[8:] != ((int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
                                               + (st.st_size & 0xFFFFFFFF).to_bytes(4, "little")):
        bad.append(f"stale: {{source}}")
print(len(modules), *bad[:5])
'"""

BYTECODE = "find / -xdev -name '*.pyc' | sort"  # every bytecode file in the image


def installed_with(bytecode: recipe.Stage, opts: recipe.BuildOptions, platform: str | None = None):
    layer = recipe.Layer(args=("DEBIAN_MIRROR",), steps=(recipe.apt_install("python3", bytecode=bytecode),))
    return recipe.apply(
        dag.container(platform=dagger.Platform(platform) if platform else None).from_(stages.BASE_IMAGE), layer, opts
    )


def compiled_here(stderr: str) -> int:
    """How many modules the step compiled itself, as it says."""
    said = re.search(r"(\d+) modules not as the bytecode's stage had them: compiled here", stderr)
    return int(said.group(1)) if said else 0


@pytest.mark.parametrize("platform", [None, "linux/arm64"], ids=["native", "arm64"])
async def test_the_stages_bytecode_is_placed_and_valid(client, opts, platform):  # noqa: ARG001
    placed = installed_with(stages.PYTHON_BYTECODE, opts, platform)
    here = compiled_here(await placed.stderr())
    # natively none; under emulation the platform's own (_sysconfigdata) and what its build of a package
    # changed (python3-minimal's, a rebuild for each platform: other file times)
    assert here == 0 if platform is None else 0 < here <= 20, here
    count, *bad = (await placed.with_exec(["bash", "-c", VALID]).stdout()).split(" ", 1)
    assert int(count) > 500 and not bad, bad  # the standard library's modules, every one compiled
    await compilers_restored(placed)
    if platform is not None:  # no bytecode of the stage's platform's own modules
        assert "x86_64" not in await placed.with_exec(["bash", "-c", BYTECODE]).stdout()


async def test_bytecode_of_other_sources_is_not_used_and_the_step_compiles(client, opts):  # noqa: ARG001
    made = stages.PYTHON_BYTECODE
    stale_sources = recipe.Run(f"echo '{{}}' > {stages.OUT}/{recipe.PYTHON_MODULES} && rm -r {stages.OUT}/files")
    stale = dataclasses.replace(
        made,
        name="python-bytecode-stale",
        layer=dataclasses.replace(made.layer, steps=(*made.layer.steps, stale_sources)),
    )
    remade, placed = installed_with(stale, opts), installed_with(made, opts)
    assert compiled_here(await remade.stderr()) > 500
    count, *bad = (await remade.with_exec(["bash", "-c", VALID]).stdout()).split(" ", 1)
    assert int(count) > 500 and not bad, bad
    # the stage's bytecode is the same files as the step makes itself
    listed = [await ctr.with_exec(["bash", "-c", BYTECODE]).stdout() for ctr in (placed, remade)]
    assert listed[0] == listed[1] and listed[0].count(".pyc") > 500


async def test_dpkgs_scripts_compile_nothing_while_the_compilers_are_off(client, opts):  # noqa: ARG001
    """The diversions name the compilers Debian's scripts run: installed with them off, Python has the
    bytecode of a few modules only, not the 550 (were a compiler moved, its script would compile as
    before, and the stage's saving be lost)."""
    off = recipe.Run(
        recipe.APT_INSTALL + recipe.PYTHON_COMPILERS_OFF + "apt-get install -y --no-install-recommends python3\n"
    )
    ctr = recipe.apply(
        dag.container().from_(stages.BASE_IMAGE), recipe.Layer(args=("DEBIAN_MIRROR",), steps=(off,)), opts
    )
    # only what Python writes for the modules it imports to start (the scripts start it with the no-op)
    compiled = (await ctr.with_exec(["bash", "-c", "find /usr -name '*.pyc'"]).stdout()).split()
    assert len(compiled) < 50, compiled
    assert "def compile(" not in await ctr.file(f"/usr/lib/python{product.PYTHON_VERSION}/py_compile.py").contents()


async def compilers_restored(ctr) -> None:
    """Python's compilers are Debian's again, and no diversion is left."""
    assert "def compile(" in await ctr.file(f"/usr/lib/python{product.PYTHON_VERSION}/py_compile.py").contents()
    assert "Piotr" in await ctr.file("/usr/bin/py3compile").contents()  # its author
    assert await ctr.with_exec(["dpkg-divert", "--list", "*py*compile*"]).stdout() == ""
