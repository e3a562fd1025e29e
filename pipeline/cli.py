"""The command line of `python -m pipeline`: a parser that mirrors the module's functions and options
(the same names and arguments as `dagger call`, kebab-case), their arguments bound to the module's
object, and Ctrl-C noted as the run sees it."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import os
import signal
import threading
import typing
from pathlib import Path

import dagger
from dagger import DefaultPath, Ignore, dag

from . import catalog, recipe
from .errors import UsageError
from .limits import parse as parse_limits
from .main import JupyterSparkImages


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


def bind(args: argparse.Namespace, source: Path = recipe.ROOT) -> tuple[JupyterSparkImages, dict[str, object]]:
    """The module object and the function's arguments, from the command line (needs a session); the
    module's source read from source (default: this checkout)."""
    fields = {f.name for f in dataclasses.fields(JupyterSparkImages)}
    converted = {name: _convert(name, value, annotation) for name, value, annotation in _inputs(args)}
    obj = JupyterSparkImages(source=recipe.checkout(source), **{n: v for n, v in converted.items() if n in fields})
    return obj, {n: v for n, v in converted.items() if n not in fields}


# Ctrl-C, as seen: the dagger CLI's session process gets the terminal's SIGINT too and may end first,
# so the run can fail on a lost connection before asyncio's cancellation reaches it.
INTERRUPTED = threading.Event()


def note_interrupts() -> None:
    """Record a SIGINT, keeping the handler in place (asyncio's: it cancels the run's main task)."""
    previous = signal.getsignal(signal.SIGINT)

    def noted(signum: int, frame: object) -> None:
        INTERRUPTED.set()
        if callable(previous):
            previous(signum, frame)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, noted)
