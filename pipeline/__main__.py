"""`python -m pipeline <function> [--args]`: a thin runner of the module's functions under
dagger.connection(), with the same names and arguments as `dagger call` (kebab-case), for
machines without the Dagger CLI. It calls the same functions and delivers their results as
`dagger call` does: a Directory is exported to --output (default ./build), a Container to
--output as an OCI archive (if given), a list or string is printed; a function that raises
(`gate`, `publish` when images failed) exits 1, bad input exits 2. build-all calls the module's
build_all once per image and merges the reports (runner.py); the command line itself is cli.py.

Object options come before the function, as with dagger call:
    python -m pipeline --maven-repo URL build-all --spark-version 4.1.1
The object's `source` is this checkout's files; without `--revision`, the build is named by the
digest of its inputs, as with dagger call: a commit that changes no build input (README, tests)
changes no image, so its checks are reused.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import dagger
from dagger.provisioning import DownloadError
from gql.transport.exceptions import TransportError

from . import recipe
from .cli import CONFIG, FUNCTIONS, INTERRUPTED, bind, note_interrupts, parser, preflight
from .errors import UsageError
from .log import step_failure
from .main import JupyterSparkImages
from .report import Failed
from .runner import build_all


async def call(args: argparse.Namespace) -> int:
    note_interrupts()
    async with dagger.connection(CONFIG):
        obj, kwargs = bind(args)
        result = FUNCTIONS[args.function](obj, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        await _deliver(result, args)
    return 0


async def _deliver(result: object, args: argparse.Namespace) -> None:
    if result is None:  # a check that passed
        print(f"{args.function}: passed", file=sys.stderr)
    elif isinstance(result, dagger.Changeset):  # a generator: its changes applied to this checkout
        changed = [*await result.added_paths(), *await result.modified_paths(), *await result.removed_paths()]
        await result.export(str(recipe.ROOT))
        print(f"{args.function}: {', '.join(sorted(changed)) or 'nothing'} changed", file=sys.stderr)
    elif isinstance(result, dagger.Directory):
        out = Path(args.output or "build")
        await result.export(str(out))
        print(f"exported to {out}/", file=sys.stderr)
    elif isinstance(result, dagger.Container):
        if args.output:
            await result.export(args.output)
            print(f"exported image to {args.output}", file=sys.stderr)
        else:
            await result.sync()
    elif isinstance(result, list):
        print("\n".join(map(str, result)))
    else:
        print(result)


def main() -> int:
    args = parser().parse_args()
    try:
        preflight(args)
        return anyio.run(build_all if args.function == "build-all" else call, args)
    except KeyboardInterrupt:
        return _interrupted(args)
    except BaseExceptionGroup as group:
        if group.subgroup(KeyboardInterrupt) is not None or INTERRUPTED.is_set():
            return _interrupted(args)
        return _failed(group, _mirrors(args))
    except Exception as err:
        return _interrupted(args) if INTERRUPTED.is_set() else _failed(err, _mirrors(args))


def _mirrors(args: argparse.Namespace) -> str:
    """The download options given that differ from the defaults: a failed step's likely cause."""
    defaults = {f.name: f.default for f in dataclasses.fields(JupyterSparkImages)}
    given = [
        f"--{name.replace('_', '-')} {getattr(args, name)}" for name in MIRRORS if getattr(args, name) != defaults[name]
    ]
    return f" (downloads from {', '.join(given)})" if given else ""


def _interrupted(args: argparse.Namespace) -> int:
    """Ctrl-C: one line saying what stopped (build-all's report, written on the way out, lists the images
    not done as failed, and no archive is left half-written), the shell's exit status for SIGINT."""
    kept = f"; {args.output or 'build'}/reports/ lists what was not done" if args.function == "build-all" else ""
    print(f"error: interrupted: {args.function} stopped{kept}", file=sys.stderr)
    return 130


MIRRORS = ("debian_mirror", "pypi_files", "pip_index_url", "maven_repo", "go_proxy")


def _failed(err: BaseException, downloads: str = "") -> int:
    """Exit status of a run that raised: bad input (2) and a function's own failure (1) said in one
    line; the engine's failure (1) said as such, whether the SDK raised it alone or in an exception
    group, as its own error or as the GraphQL client's retries given up (a restarted engine's session
    answers 502 for a while); anything else is a bug, raised."""
    leaves = _leaves(err)
    for leaf in leaves:
        cause = leaf.__cause__ if isinstance(leaf, dagger.SessionError) else leaf
        if isinstance(cause, UsageError | Failed):
            print(f"error: {cause}", file=sys.stderr)
            return 2 if isinstance(cause, UsageError) else 1
    for leaf in leaves:  # a build step that failed (`build`, `spark-base`): the step and its output, not the engine
        failed_step = next((e for e in _chain(leaf) if isinstance(e, dagger.ExecError)), None)
        if failed_step is not None:
            print(f"error: {step_failure(failed_step, downloads)}", file=sys.stderr)
            return 1
    for leaf in leaves:
        engine = next((e for e in _chain(leaf) if isinstance(e, dagger.DaggerError | TransportError)), None)
        if engine is not None:  # the functions' own errors are Python's; these are the engine's
            return _engine_failed(engine)
    raise err


def _leaves(err: BaseException) -> list[BaseException]:
    if isinstance(err, BaseExceptionGroup):
        return [leaf for inner in err.exceptions for leaf in _leaves(inner)]
    return [err]


def _chain(err: BaseException | None) -> Iterator[BaseException]:
    """err and what it was raised from, outermost first."""
    while err is not None:
        yield err
        err = err.__cause__


def _engine_failed(err: BaseException) -> int:
    engine = os.environ.get("_EXPERIMENTAL_DAGGER_RUNNER_HOST", "the Dagger engine")
    what = (str(err).strip().splitlines() or [type(err).__name__])[0]
    if isinstance(err, DownloadError):  # no engine configured (make engine's environment): no session started
        print(f"error: no Dagger engine to run on ({what}); start one with `make engine`", file=sys.stderr)
    else:
        print(f"error: the engine ({engine}) failed the run (was it restarted or stopped?): {what}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
