"""Publishing: only images whose checks passed in this run, under the matrix's tag scheme plus an
immutable tag (date and source revision)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Awaitable, Callable

import dagger

from . import catalog, recipe, registry_tools, stages
from .log import progress
from .errors import UsageError

# The OCI distribution spec's reference grammar (as in distribution/reference): name[:tag][@digest]
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
REFERENCE = re.compile(
    rf"(?P<name>(?:(?P<domain>{_DOMAIN})/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)(?::{_TAG})?(?:@{_DIGEST})?"
)
NAME_MAX = 255  # the spec's limit on a repository name, domain included
REGISTRY_HELP = "expected HOST[:PORT][/NAMESPACE], e.g. localhost:5000/jupyter or registry.example.com/team"


def is_reference(text: str) -> bool:
    """A valid image reference by the OCI distribution spec."""
    match = REFERENCE.fullmatch(text)
    return bool(match) and len(match["name"]) <= NAME_MAX


def registry_address(address: str) -> str:
    """Validate REGISTRY[/NAMESPACE] (what the images' names are appended to); returns it without a
    trailing slash. The first component must be a registry host, as clients tell one: it has a dot
    or a port, or is localhost (otherwise it would name a Docker Hub namespace)."""
    value = address.rstrip("/")
    host, _, _ = value.partition("/")
    sample = f"{value}/{'x' * 30}:latest"  # the longest image name is shorter
    if not (value and is_reference(sample) and REFERENCE.fullmatch(sample)["domain"] == host):
        raise UsageError(f"malformed registry address {address!r}; {REGISTRY_HELP}")
    if not ("." in host or ":" in host or host == "localhost"):
        raise UsageError(f"registry address {address!r} does not start with a registry host; {REGISTRY_HELP}")
    return value


def immutable_tag(rev: str, today: datetime.date | None = None) -> str:
    return f"{(today or datetime.datetime.now(datetime.UTC).date()):%Y%m%d}-{rev}"


def references(registry: str, image: catalog.Image, rev: str) -> list[str]:
    """REGISTRY/NS/jupyter-4.1.1-gpu:latest and the immutable REGISTRY/NS/jupyter-4.1.1-gpu:20261125-<rev>."""
    refs = [f"{registry}/{image.name}:latest", f"{registry}/{image.name}:{immutable_tag(rev)}"]
    for ref in refs:
        if not is_reference(ref):
            raise UsageError(f"{ref!r} is not a valid image reference (revision {rev!r}?)")
    return refs


def platform_reference(registry: str, image: catalog.Image, rev: str, platform: str) -> str:
    """A platform's own tag, REGISTRY/NS/jupyter-4.1.1:<rev>-arm64: what a per-platform CI job pushes
    where that platform passed, and what merge joins into the image's multi-platform index."""
    ref = f"{registry}/{image.name}:{rev}-{catalog.arch(platform)}"
    if not is_reference(ref):
        raise UsageError(f"{ref!r} is not a valid image reference (revision {rev!r}?)")
    return ref


class TagMoved(Exception):
    """An immutable tag already holds other content."""


class NotChecked(Exception):
    """The registry got a manifest other than the one checked."""


def with_auth(ctr: dagger.Container, registry: str, username: str | None, password: dagger.Secret | None):
    """The container with the registry's credentials (a Dagger secret, never printed), if any."""
    if password is None:
        return ctr
    return ctr.with_registry_auth(registry.split("/")[0], username or "", password)


LAYERS = dagger.ImageLayerCompression.Gzip  # the archives' layers: what every registry and runtime reads
ARCHIVE, ARCHIVE_TOOL = "/archive/image.tar", "/archive/oci_archive.py"  # where archive_tool mounts them


def archive_tool(ctr: dagger.Container, opts: recipe.BuildOptions) -> dagger.Container:
    """ctr (a container with python3) as root with the archive tool at ARCHIVE_TOOL."""
    return ctr.with_user("0").with_mounted_file(ARCHIVE_TOOL, opts.files().file(recipe.ARCHIVE_TOOL))


def tarball(ctrs: list[dagger.Container], opts: recipe.BuildOptions | None = None) -> dagger.File:
    """An image as an OCI archive, unnamed: the one file its digest, its size check, its archives and its
    pushes read (built once, cached once: push copies its bytes). Several platforms make one
    multi-platform image: an OCI index of each platform's own archive, joined byte for byte (the archive
    tool's join, in the tools container built with opts), so it lists exactly the checked manifests."""
    if len(ctrs) == 1:
        return ctrs[0].as_tarball(platform_variants=[], forced_compression=LAYERS)
    if opts is None:  # the tools container is built with the run's mirrors, never silently without them
        raise ValueError("joining several platforms' archives needs the run's build options")
    tool = archive_tool(recipe.built_stage(stages.TOOLS, opts, None), opts)
    inputs = [f"/archive/platform-{i}.tar" for i in range(len(ctrs))]
    for path, ctr in zip(inputs, ctrs, strict=True):
        tool = tool.with_mounted_file(path, tarball([ctr]))
    return tool.with_exec(["python3", ARCHIVE_TOOL, "join", "/archive/index.tar", *inputs]).file("/archive/index.tar")


class ReadFailed(Exception):
    """The registry answered a read of a tag with neither its digest nor "not found"."""


async def verify(base: dagger.Container, immutable: str, checked: str) -> bool:
    """Before anything is pushed: whether the immutable tag already holds the checked digest (True)
    or does not exist (False); TagMoved if it holds other content, ReadFailed if the registry's answer
    is anything else (a 401, a 5xx, a timeout): never taken as "not there"."""
    existing = await digest_of(immutable, base)
    if existing is not None and existing != checked:
        raise TagMoved(f"{immutable} already holds {existing}, not {checked}: an immutable tag never moves")
    return existing == checked


def repository(ref: str) -> str:
    """REGISTRY/NS/NAME of a REGISTRY/NS/NAME:TAG reference."""
    return ref.rsplit(":", 1)[0]


# crane writes the archive's one image (a manifest, or a multi-platform index and its manifests) from the
# archive's own blobs, by digest (REPO@DIGEST: the manifest and no tag). Unpacked on a temporary mount:
# nothing of it stays in the engine's cache.
PUSH = 'mkdir /layout/image && tar -xf "$0" -C /layout/image && exec crane push /layout/image "$1"\n'


async def push(
    where: registry_tools.Registry,
    opts: recipe.BuildOptions,
    archive: dagger.File,
    tags: list[str],
    checked: str,
    *,
    present: bool,
    pushed: list[str],
    sign: Callable[[str], Awaitable[object]] | None = None,
) -> None:
    """Push the image an archive holds, its bytes as they are, so that no tag can ever hold a manifest
    other than the checked one (digest `checked`). crane copies the archive's blobs: the engine's own push
    would export the image again, and after an engine restart the configuration it writes carries the
    layers' new cache times (its history), so another digest than the checked archive's. First the
    archive's digest is read (NotChecked unless it is `checked`: nothing is pushed), then the image goes
    by digest alone (REPO@DIGEST, which writes the manifest and no tag), and only then its tags, each
    pointed at that manifest by reference and read back (NotChecked otherwise, and the tags after it stay
    where they were): the immutable one first (unless `present`: it holds the checked digest already),
    then the moving ones (NAME:latest). Each reference is added to `pushed` (with its digest) once it is
    there. sign: called with REPO@DIGEST once the registry has the checked manifest, before any tag: a tag
    only ever names what it signed. The registry must be reachable from the engine's containers."""
    (immutable, *moving), repo = tags, repository(tags[0])
    tools = archive_tool(where.tools(opts), opts).with_mounted_file(ARCHIVE, archive)
    held = (await tools.with_exec(["python3", ARCHIVE_TOOL, "digest", ARCHIVE]).stdout()).strip()
    if held != checked:
        raise NotChecked(f"{repo} would get manifest {held}, not the checked {checked}; no tag was written")
    script = ["bash", "-euo", "pipefail", "-c", registry_tools.LOGIN + PUSH, ARCHIVE, f"{repo}@{checked}"]
    untagged = (await tools.with_mounted_temp("/layout").with_exec(script).stdout()).strip().splitlines()[-1]
    if untagged != f"{repo}@{checked}":
        raise NotChecked(f"{repo} got {untagged}, not the checked {checked}; no tag was written")
    if sign is not None:
        await sign(untagged)
        progress(f"signed {untagged}")
    if present:
        pushed.append(f"{immutable}@{checked}")
    for ref in ([] if present else [immutable]) + moving:
        await where.crane(opts, "tag", untagged, ref.rsplit(":", 1)[1])
        holds = (await where.crane(opts, "digest", ref)).strip()
        if holds != checked:
            raise NotChecked(f"{ref} holds {holds}, not the checked {checked}")
        pushed.append(f"{ref}@{checked}")
        progress(f"pushed {ref}@{checked}")


async def digest_of(ref: str, base: dagger.Container | None = None) -> str | None:
    """The manifest digest a tag holds in its registry now; None only when the registry says it does not
    exist; ReadFailed for any other answer. base: a container with the registry's credentials."""
    try:
        address = await (base or dagger.dag.container()).from_(ref).image_ref()
    except dagger.QueryError as err:
        if re.search(rf"{re.escape(ref)}: not found\b", str(err)):
            return None
        said = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ReadFailed(f"cannot read {ref} from its registry, so nothing is pushed for it: {said}") from None
    if "@" not in address:
        raise ReadFailed(f"cannot read {ref}'s digest from its registry ({address}), so nothing is pushed for it")
    return address.split("@", 1)[1]
