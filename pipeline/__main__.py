"""`python -m pipeline <function> [--args]`: a thin runner of the module's functions under
dagger.connection(), with the same names and arguments as `dagger call` (kebab-case), for
machines without the Dagger CLI. It calls the same functions and delivers their results as
`dagger call` does: a Directory is exported to --output (default ./build), a Container to
--output as an OCI archive (if given), a list or string is printed; a function that raises
(`gate`, `publish` when images failed) exits 1, bad input exits 2. build-all calls the module's
build_all once per image (see build_all below) and merges the reports.

Object options come before the function, as with dagger call:
    python -m pipeline --maven-repo URL build-all --spark-version 4.1.1
The object's `source` is this checkout's files; without `--revision`, the build is named by the
digest of its inputs, as with dagger call: a commit that changes no build input (README, tests)
changes no image, so its checks are reused.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import inspect
import os
import shutil
import signal
import sys
import threading
import time
import typing
from collections.abc import Iterator
from pathlib import Path

import anyio
import dagger
from dagger import DefaultPath, Ignore, dag
from dagger.provisioning import DownloadError
from gql.transport.exceptions import TransportError

from . import catalog, orchestrate, publish, recipe, report, shipping
from .limits import parse as parse_limits
from .main import JupyterSparkImages
from .errors import UsageError
from .archives import Archives
from .checks.result import CheckResult, ImageResult
from .log import step_failure
from .report import Failed, verdict

FUNCTIONS = {
    name.replace("_", "-"): fn
    for name, fn in vars(JupyterSparkImages).items()
    if callable(fn) and hasattr(fn, "__dagger_function__")
}


def _kind(annotation: object) -> type:
    """The plain type behind Annotated[...] / X | None."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return args[0] if args else annotation  # type: ignore[return-value]


def _meta(annotation: object, kind: type) -> object | None:
    """The Annotated[...] metadata of a kind (DefaultPath, Ignore), if any."""
    extras = typing.get_args(annotation)[1:] if typing.get_origin(annotation) is typing.Annotated else ()
    return next((extra for extra in extras if isinstance(extra, kind)), None)


def _add(parser: argparse.ArgumentParser, name: str, annotation: object, default: object) -> None:
    kind, flag = _kind(annotation), "--" + name.replace("_", "-")
    if kind is bool:
        parser.add_argument(flag, action="store_true", default=bool(default))
    else:
        missing = default is inspect.Parameter.empty or default is dataclasses.MISSING
        required = missing and _meta(annotation, DefaultPath) is None  # DefaultPath: this checkout's, as dagger call
        parser.add_argument(flag, dest=name, required=required, default=None if missing else default)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m pipeline", description=JupyterSparkImages.__doc__)
    hints = typing.get_type_hints(JupyterSparkImages, include_extras=True)
    for field in dataclasses.fields(JupyterSparkImages):
        if field.name == "source":  # DefaultPath: this checkout
            continue
        _add(top, field.name, hints[field.name], field.default)
    output = argparse.ArgumentParser(add_help=False)  # before or after the function, as with dagger call
    output.add_argument("--output", "-o", default=argparse.SUPPRESS, help="where a result goes (default ./build)")
    top.add_argument("--output", "-o", default=None, help="where a returned Directory/Container goes (default ./build)")
    sub = top.add_subparsers(dest="function", required=True)
    for cli_name, fn in FUNCTIONS.items():
        p = sub.add_parser(cli_name, help=(fn.__doc__ or "").splitlines()[0], parents=[output])
        hints = typing.get_type_hints(fn, include_extras=True)
        for pname, param in inspect.signature(fn).parameters.items():
            if pname != "self":
                _add(p, pname, hints[pname], param.default)
    return top


def _secret(flag: str, value: str) -> str:
    """A secret's plaintext from env:VAR or file:PATH, or one clear error."""
    source, _, ref = value.partition(":")
    if source == "env" and ref in os.environ:
        return os.environ[ref]
    if source == "file":
        try:
            return Path(ref).read_text().strip()
        except OSError as err:
            raise UsageError(f"{flag} {value}: cannot read the file: {err.strerror}") from None
    raise UsageError(f"{flag} {value}: use env:VAR (a variable that is set) or file:PATH")


def _inputs(args: argparse.Namespace) -> list[tuple[str, object, object]]:
    """(name, value, annotation) of every object option and function argument on the command line."""
    fn = FUNCTIONS[args.function]
    obj_hints = typing.get_type_hints(JupyterSparkImages, include_extras=True)
    fn_hints = typing.get_type_hints(fn, include_extras=True)
    fields = [f.name for f in dataclasses.fields(JupyterSparkImages) if f.name != "source"]
    params = [p for p in inspect.signature(fn).parameters if p != "self"]
    return [(n, getattr(args, n), obj_hints[n]) for n in fields] + [(n, getattr(args, n), fn_hints[n]) for n in params]


def preflight(args: argparse.Namespace) -> None:
    """Files and secrets named on the command line exist and can be read, limits parse: checked
    before any session."""
    parse_limits(args.limits)
    if getattr(args, "platform", None):  # its names (the engine's own platform is asked for in the session)
        catalog.targets(args.platform, "")
    returns = typing.get_type_hints(FUNCTIONS[args.function]).get("return")
    if args.output and returns is dagger.Directory and Path(args.output).exists() and not Path(args.output).is_dir():
        raise UsageError(f"-o {args.output}: {args.function} writes a directory there, and it is a file")
    for name, value, annotation in _inputs(args):
        flag, kind = "--" + name.replace("_", "-"), _kind(annotation)
        if value is not None and kind is dagger.File and not os.access(value, os.R_OK):
            raise UsageError(f"{flag} {value}: no such readable file")
        if value is not None and kind is dagger.Secret:
            _secret(flag, str(value))


def _convert(name: str, value: object, annotation: object) -> object:
    """Strings from the command line to Dagger types: files by path, secrets as env:VAR / file:PATH."""
    kind = _kind(annotation)
    if value is None and kind is dagger.Directory and (default := _meta(annotation, DefaultPath)) is not None:
        ignore = _meta(annotation, Ignore)
        path = recipe.ROOT / default.from_context.lstrip("/")
        return dag.host().directory(str(path), exclude=list(ignore.patterns) if ignore else [])
    if value is None or kind in (str, bool):
        return value
    if kind is dagger.Directory:
        return dag.host().directory(str(value))
    if kind is dagger.File:
        return dag.host().file(str(value))
    if kind is dagger.Secret:
        return dag.set_secret(name, _secret("--" + name.replace("_", "-"), str(value)))
    return value


CONFIG = dagger.Config(log_output=None)


def _bind(args: argparse.Namespace) -> tuple[JupyterSparkImages, dict[str, object]]:
    """The module object and the function's arguments, from the command line (needs a session)."""
    fields = {f.name for f in dataclasses.fields(JupyterSparkImages)}
    converted = {name: _convert(name, value, annotation) for name, value, annotation in _inputs(args)}
    obj = JupyterSparkImages(source=recipe.checkout(), **{n: v for n, v in converted.items() if n in fields})
    return obj, {n: v for n, v in converted.items() if n not in fields}


# Ctrl-C, as seen: the dagger CLI's session process gets the terminal's SIGINT too and may end first,
# so the run can fail on a lost connection before asyncio's cancellation reaches it.
INTERRUPTED = threading.Event()


def _note_interrupts() -> None:
    """Record a SIGINT, keeping the handler in place (asyncio's: it cancels the run's main task)."""
    previous = signal.getsignal(signal.SIGINT)

    def noted(signum: int, frame: object) -> None:
        INTERRUPTED.set()
        if callable(previous):
            previous(signum, frame)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, noted)


async def call(args: argparse.Namespace) -> int:
    _note_interrupts()
    async with dagger.connection(CONFIG):
        obj, kwargs = _bind(args)
        result = FUNCTIONS[args.function](obj, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        await _deliver(result, args)
    return 0


async def build_all(args: argparse.Namespace) -> int:
    """build-all as the module's build_all, called once per image, each in a session of its own,
    and the per-image reports merged into one. The engine keeps what a session exports until the
    session ends: all 14 archives from one call and their layers do not fit this machine's disk
    quota. The combined archive is assembled here, image by image, from the engine's own archive of
    each checked image (archives.py), so at most one image's archive is staged, and the engine keeps
    no named archives (--archives none there): what stays in its cache between runs is smaller.

    What is unchanged is not redone: without --recheck, the last report.json in OUTPUT is the
    --previous one (checks reused where image and check code are unchanged), and an image whose
    archive already holds its digest under its names is not exported again."""
    _note_interrupts()
    # bad input: before any work (the platforms checked once the engine said its own)
    catalog.images(args.spark_version or None, args.variant or None)
    shipping.archives_kind(args.archives)
    out, waits = Path(args.output or "build"), parse_limits(args.limits)
    out.mkdir(parents=True, exist_ok=True)
    with _exclusive(out):
        async with dagger.connection(CONFIG):
            native = await orchestrate.engine_platform()
        targets = catalog.targets(args.platform, native)
        selected = catalog.images(args.spark_version or None, args.variant or None, targets.platforms)
        return await _build_all(args, selected, targets, out, waits)


@contextlib.contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """One build-all writing OUTPUT at a time: a second one stops at once instead of mixing files."""
    with (out / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"another build-all is writing {out}/; wait for it or use -o DIR") from None
        yield


def _previous(args: argparse.Namespace, out: Path) -> str | None:
    """The report whose results may be reused: --previous, else OUTPUT's last one (none with --recheck)."""
    path = Path(args.previous) if args.previous else out / "reports" / "report.json"
    return None if args.recheck or not path.is_file() else path.read_text()


async def _build_all(
    args: argparse.Namespace, selected: list[catalog.Image], on: catalog.Targets, out: Path, waits: dict[str, float]
) -> int:
    previous = _previous(args, out)
    for earlier in ("reports", "sbom", "provenance"):  # the verdict (gate) and the evidence: this run's only
        shutil.rmtree(out / earlier, ignore_errors=True)
    images = Archives(out / "images", args.archives)
    results: list[ImageResult] = []
    try:
        for image in selected:  # an image may reuse the results of this run's images before it (line proofs)
            done = await _build_one(args, image, images, waits, report.overlaid(previous, results))
            if INTERRUPTED.is_set():  # what its session said after a Ctrl-C (a lost connection) is no result
                raise KeyboardInterrupt
            results += done
        await anyio.to_thread.run_sync(images.finish)
    finally:  # the report is written whatever happened: images not done are failed, with the reason
        images.discard()
        why = f"not built: the run stopped ({sys.exc_info()[1]!r})"
        finished = {r.image for r in results}
        results += [
            ImageResult(i.name, [CheckResult("pipeline", "failed", 0.0, why)], p, on.emulated(p))
            for i in selected
            if i.name not in finished
            for p in on.of(i)
        ]
        (out / "reports").mkdir(parents=True)
        for name, text in report.render_all(results).items():
            (out / "reports" / name).write_text(text)
    print(orchestrate.summary(results), file=sys.stderr)
    print(images.said, file=sys.stderr)
    print(f"exported to {out}/", file=sys.stderr)
    if not args.allow_failures:  # as the module's build_all: a failed image fails the run, named
        verdict([r.as_dict() for r in results])
    return 0


async def _build_one(
    args: argparse.Namespace, image: catalog.Image, images: Archives, waits: dict[str, float], previous: str | None
) -> list[ImageResult]:
    """The module's build_all for one image (its platforms), in a session of its own; its archive
    fetched only if needed."""
    start = time.monotonic()
    async with dagger.connection(CONFIG):
        obj, kwargs = _bind(args)
        connected = round(time.monotonic() - start, 1)
        if previous is not None:
            kwargs["previous"] = dag.directory().with_new_file("report.json", previous).file("report.json")
        # the report of each image, also a failed one: the verdict on all comes after, below
        kwargs |= {"spark_version": image.spark.version, "variant": image.variant, "archives": "none"}
        kwargs["allow_failures"] = True
        result = await obj.build_all(**kwargs)
        checked = report.from_json(await result.file("reports/report.json").contents())
        for evidence in ("sbom", "provenance"):
            await result.directory(evidence).export(str(images.folder.parent / evidence))
        start = time.monotonic()
        if not all(platform.passed for platform in checked):
            images.failed(image.name)
        else:
            tags, digest = shipping.image_tags(image.name, await obj.effective_revision()), str(checked[0].shipped)
            if images.needs(image.name, digest, tags):
                opts, platforms = await obj.options(), {r.platform: str(r.digest) for r in checked}
                tarball = publish.tarball([orchestrate.container(image, opts, p) for p in platforms])
                with anyio.fail_after(waits["export"]):
                    await images.fetch(image.name, tarball, digest, platforms, tags)
            await anyio.to_thread.run_sync(images.take, image.name, digest, tags)
        exported = round(time.monotonic() - start, 1)
    for platform in checked:
        platform.phases = {"engine": connected, **platform.phases, "export": exported}
    return checked


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
