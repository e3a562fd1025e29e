"""Entry point of the offline SDK's runtime container: load the module's main object the way
Dagger's Python SDK runtime does, from pyproject.toml's `[project.entry-points."dagger.mod"]`
`main_object`, with the module's source on sys.path instead of an installed package, then hand
over to the client library's `dagger.mod` CLI (register the functions, or serve a call)."""

import os
import sys
import tomllib
from pathlib import Path

source = Path(os.environ["DAGGER_MODULE_SOURCE"])
project = tomllib.loads((source / "pyproject.toml").read_text())["project"]
package, _, main_object = project["entry-points"]["dagger.mod"]["main_object"].partition(":")
# dagger.mod reads these when imported: the package to import and the main object's class
os.environ["DAGGER_DEFAULT_PYTHON_PACKAGE"] = package
os.environ["DAGGER_MAIN_OBJECT"] = main_object
sys.path.insert(0, str(source))

from dagger.mod.cli import app  # noqa: E402 - after the environment it reads

sys.exit(app(None, "--register" in sys.argv[1:]))
