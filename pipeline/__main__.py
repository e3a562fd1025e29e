"""`python -m pipeline <function> [--args]`: the module's functions under dagger.connection(),
with the same names and arguments as `dagger call` (kebab-case), for machines where `dagger call`
cannot run (offline: the Python SDK runtime ships only inside the official engine image).

Object options come before the function, as with dagger call:
    python -m pipeline --maven-repo URL build-all --spark-version 4.1.1
A returned Directory is exported to --output (default ./build), a Container to --output as an OCI
tarball (if given), a string is printed. build-all streams each image to build/images/ instead of
exporting one Directory holding them all (which would need every archive in the engine at once).
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import os
import sys
import typing
from pathlib import Path

import anyio
import dagger
from dagger import dag

from . import pipeline
from .main import JupyterSparkImages
from .matrix import MatrixError

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


def _add(parser: argparse.ArgumentParser, name: str, annotation: object, default: object) -> None:
    kind, flag = _kind(annotation), "--" + name.replace("_", "-")
    if kind is bool:
        parser.add_argument(flag, action="store_true", default=bool(default))
    else:
        required = default is inspect.Parameter.empty or default is dataclasses.MISSING
        parser.add_argument(flag, dest=name, required=required, default=None if required else default)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m pipeline", description=JupyterSparkImages.__doc__)
    hints = typing.get_type_hints(JupyterSparkImages, include_extras=True)
    for field in dataclasses.fields(JupyterSparkImages):
        _add(top, field.name, hints[field.name], field.default)
    top.add_argument("--output", "-o", help="where a returned Directory/Container goes (default ./build)")
    sub = top.add_subparsers(dest="function", required=True)
    for cli_name, fn in FUNCTIONS.items():
        p = sub.add_parser(cli_name, help=(fn.__doc__ or "").splitlines()[0])
        hints = typing.get_type_hints(fn, include_extras=True)
        for pname, param in inspect.signature(fn).parameters.items():
            if pname != "self":
                _add(p, pname, hints[pname], param.default)
    return top


def _convert(value: object, annotation: object) -> object:
    """Strings from the command line to Dagger types: files by path, secrets as env:VAR / file:PATH."""
    kind = _kind(annotation)
    if value is None or kind in (str, bool):
        return value
    if kind is dagger.File:
        return dag.host().file(str(value))
    if kind is dagger.Secret:
        source, _, ref = str(value).partition(":")
        if source == "env":
            return dag.set_secret(ref, os.environ[ref])
        if source == "file":
            return dag.set_secret(Path(ref).name, Path(ref).read_text().strip())
        raise MatrixError(f"secret {value!r}: use env:VAR or file:PATH")
    return value


CONFIG = dagger.Config(log_output=None)


def _bind(args: argparse.Namespace) -> tuple[JupyterSparkImages, dict[str, object]]:
    """The module object and the function's arguments, from the command line (needs a session)."""
    fn = FUNCTIONS[args.function]
    obj_hints = typing.get_type_hints(JupyterSparkImages, include_extras=True)
    fn_hints = typing.get_type_hints(fn, include_extras=True)
    fields = dataclasses.fields(JupyterSparkImages)
    obj = JupyterSparkImages(**{f.name: _convert(getattr(args, f.name), obj_hints[f.name]) for f in fields})
    params = [p for p in inspect.signature(fn).parameters if p != "self"]
    return obj, {p: _convert(getattr(args, p), fn_hints[p]) for p in params}


async def call(args: argparse.Namespace) -> int:
    async with dagger.connection(CONFIG):
        obj, kwargs = _bind(args)
        result = FUNCTIONS[args.function](obj, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return await _deliver(result, args)


async def build_all_to_host(args: argparse.Namespace) -> int:
    """build-all with each passed image streamed to OUTPUT/images/<image>.tar, one session per
    archive: the engine keeps an exported archive on disk until its session ends, so exporting
    all 14 in one session (or as one Directory) needs twice their size free."""
    out = Path(args.output or "build")
    async with dagger.connection(CONFIG):
        obj, kwargs = _bind(args)
        built = await obj.build_and_check(**kwargs)
        await pipeline.reports([b.result for b in built]).export(str(out / "reports"))
    for image in [b.image for b in built if b.result.passed]:
        async with dagger.connection(CONFIG):
            obj, _ = _bind(args)
            await pipeline.export_image(image, obj.options(), out / "images" / f"{image.name}.tar")
    return _verdict(out / "reports" / "report.json")


async def _deliver(result: object, args: argparse.Namespace) -> int:
    if isinstance(result, dagger.Directory):
        out = Path(args.output or "build")
        await result.export(str(out))
        print(f"exported to {out}/", file=sys.stderr)
        return _verdict(out / "reports" / "report.json") or _verdict(out / "report.json")
    if isinstance(result, dagger.Container):
        if args.output:
            await result.export(args.output)
            print(f"exported image to {args.output}", file=sys.stderr)
        else:
            await result.sync()
        return 0
    print(result)
    return 1 if isinstance(result, str) and "REFUSED" in result else 0


def _verdict(report: Path) -> int:
    """1 when a report lists a failed image (after everything that passed was exported)."""
    if not report.exists():
        return 0
    failed = [r["image"] for r in json.loads(report.read_text()) if r["verdict"] != "passed"]
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def main() -> int:
    args = parser().parse_args()

    try:
        return anyio.run(build_all_to_host if args.function == "build-all" else call, args)
    except (MatrixError, dagger.SessionError) as err:
        cause = err if isinstance(err, MatrixError) else err.__cause__
        if not isinstance(cause, MatrixError):
            raise
        print(f"error: {cause}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
