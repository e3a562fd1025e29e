"""A layer's build steps as data, and the two things done with them.

`apply` builds the steps with the Dagger API; `render` writes them as Dockerfile lines. The
pipeline builds with `apply`, dockerfiles/ is rendered by `render` from the same steps, and a
test re-renders and fails on drift: one source of truth.

Build options (mirrors) are shell variables in scripts: Dockerfile ARGs there, exec-scoped
environment variables here, so they never stay in an image.

Cross-building (BuildKit's `FROM --platform=$BUILDPLATFORM` pattern): work whose result does not
depend on the target's architecture (downloading and verifying, unpacking, picking wheels and jars for
the target) is a Stage, run on the engine's own platform and copied into the image (CopyFrom), so an
emulated platform emulates only what must run its own binaries (dpkg's scripts, useradd). A stage that
does not read TARGETARCH is the same for every platform: it runs once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import dagger
from dagger import dag

from . import catalog, product, releases
from .limits import CURL

ROOT = Path(__file__).resolve().parent.parent  # the checkout: the Docker build context of dockerfiles/
PIP_CACHE = "/root/.cache/pip"
# The build inputs: the recipe and the files that builds (Copy steps) and checks (probes) read,
# relative to the module's source root. They come from the module's source as Dagger hands it over:
# `dagger call` uploads them (the object's DefaultPath `source`); `python -m pipeline` and the tests
# take them from the checkout. Their digest names a build where no revision is given.
SOURCE_FILES = ("pipeline/**", "requirements/*.txt", "requirements/*/go.*")
SOURCE_EXCLUDE = ("**/__pycache__",)
PROBES = "pipeline/checks/probes"
ARCHIVE_TOOL = "pipeline/tools/oci_archive.py"  # reads the engine's image archives (also a probe: the size check)


def checkout(root: Path = ROOT) -> dagger.Directory:
    """SOURCE_FILES from this checkout (or from a copy of them at root), for runs without a module source
    (python -m pipeline, tests)."""
    return dag.host().directory(str(root), include=list(SOURCE_FILES), exclude=list(SOURCE_EXCLUDE))


@dataclass(frozen=True)
class Run:
    script: str
    cache: str | None = None  # a cache mount (pip downloads), never part of the image
    # a Stage's files mounted read-only for this step only (RUN --mount=type=bind,from=STAGE), never part of the image
    mount: CopyFrom | None = None


@dataclass(frozen=True)
class Env:
    name: str
    value: str  # may reference ${OTHER} (expanded like Dockerfile ENV)


@dataclass(frozen=True)
class Copy:
    src: str  # relative to the repository root
    dest: str
    mode: int = 0o644


@dataclass(frozen=True)
class CopyFrom:
    """Files a Stage made, copied into the image (merged into dest where it exists)."""

    stage: Stage
    src: str
    dest: str


@dataclass(frozen=True)
class Config:
    """Image config: user, workdir, ports, entrypoint, command, healthcheck."""

    user: str | None = None
    workdir: str | None = None
    expose: tuple[int, ...] = ()
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    healthcheck: tuple[str, ...] | None = None


Step = Run | Env | Copy | CopyFrom | Config


@dataclass(frozen=True)
class Layer:
    """Steps that build on a base; args are the build options its scripts read."""

    steps: tuple[Step, ...]
    args: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    # the layer makes Java's keystore (the trust store's stage): its Dagger steps keep the keystore hook
    # that KEYSTORE_HOOK_OFF turns off in every other one
    makes_keystore: bool = False


STAGE_OUT = "/out"  # where a stage leaves the files an image copies or mounts
REFRESH = "BUILD_REFRESH"  # the exec-scoped variable that carries BuildOptions.refresh into every step
TARGETARCH = "TARGETARCH"  # the image's architecture (amd64, arm64), as BuildKit names it: a stage's arg


@dataclass(frozen=True)
class Stage:
    """A build stage on the engine's own platform (Dockerfile: FROM --platform=$BUILDPLATFORM): a Layer
    on an image address or on another Stage. Its scripts may read $TARGETARCH (in args) to pick what
    the image being built needs."""

    name: str
    base: str | Stage
    layer: Layer

    def stages(self) -> list[Stage]:
        """This stage after the stages it builds on, in build order."""
        return [*(self.base.stages() if isinstance(self.base, Stage) else []), self]


def stages_of(layers: list[Layer]) -> list[Stage]:
    """The stages the layers copy from, each once, after the stages they build on."""
    found: dict[str, Stage] = {}
    for layer in layers:
        for step in layer.steps:
            copied = step.mount if isinstance(step, Run) else step
            if isinstance(copied, CopyFrom):
                found |= {s.name: s for s in copied.stage.stages() if s.name not in found}
    return list(found.values())


@dataclass(frozen=True)
class BuildOptions:
    """Where builds download from, for mirrors in air-gapped and corporate networks."""

    debian_mirror: str = ""
    pypi_files: str = releases.PYPI_FILES
    pip_index_url: str = ""
    maven_repo: str = releases.MAVEN_CENTRAL
    go_proxy: str = ""  # GOPROXY for the SBOM tool's build ("": Go's default)
    # CAs trusted while building, never kept: curl adds them to the system's, pip uses them alone
    ca_bundle: dagger.File | None = None
    source: dagger.Directory | None = None  # SOURCE_FILES; None: this checkout's
    revision: str = "unknown"  # the source revision: org.opencontainers.image.revision and the immutable tag
    # any new value runs every build step again instead of reusing the engine's cached result (Debian's
    # security updates since the cached build, a cold-build benchmark); `docker build --no-cache` for dockerfiles/
    refresh: str = ""

    def files(self) -> dagger.Directory:
        return self.source if self.source is not None else checkout()

    def probes(self) -> dagger.Directory:
        return self.files().directory(PROBES).with_file("oci_archive.py", self.files().file(ARCHIVE_TOOL))

    def values(self) -> dict[str, str]:
        return {
            "DEBIAN_MIRROR": self.debian_mirror,
            "PYPI_FILES": self.pypi_files,
            "PIP_INDEX_URL": self.pip_index_url,
            "MAVEN_REPO": self.maven_repo,
            "GOPROXY": self.go_proxy,
            "REVISION": self.revision,
        }


# Debian's suites as debian:bookworm-slim has them: the release, its stable updates and its security
# updates (a base image with the release alone, as debootstrap makes it, gets the other two)
DEBIAN = "http://deb.debian.org/debian"  # DEBIAN_MIRROR replaces it (and DEBIAN-security with MIRROR-security)
DEBIAN_SOURCES = f"""Types: deb
URIs: {DEBIAN}
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: {DEBIAN}-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
# Every apt step upgrades what is installed before it installs: an image has every update published
# when its step ran (--refresh runs the steps again). It keeps no downloaded package (apt-get clean).
# DEBIAN_MIRROR stands for deb.debian.org/debian, and its -security sibling for deb.debian.org/debian-security,
# the archive's usual layout.
APT_INSTALL = f"""
if ! grep -qs bookworm-security /etc/apt/sources.list /etc/apt/sources.list.d/*; then
  cat > /etc/apt/sources.list.d/debian.sources <<'SOURCES'
{DEBIAN_SOURCES}SOURCES
  rm -f /etc/apt/sources.list
fi
if [ -n "${{DEBIAN_MIRROR:-}}" ]; then
  sed -i "s#{DEBIAN}#${{DEBIAN_MIRROR}}#" /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || :
fi
apt-get update
export DEBIAN_FRONTEND=noninteractive
apt-get upgrade -y
"""
APT_CLEAN = "apt-get clean\nrm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log\n"

# Debian's trust store (/etc/ssl/certs: a link per CA certificate, the bundle, Java's keystore) is the same
# files on every platform, but dpkg's scripts make it where the packages are installed: update-ca-certificates
# runs a few processes per certificate (29 s under emulation, and as long again when ca-certificates-java's
# trigger runs it), and Java builds its keystore (8 s). A step that installs them mounts the store a stage
# made natively (stages.trust_store) and puts it in place instead, while dpkg's scripts find
# update-ca-certificates a no-op (diverted) and Java's keystore updates disabled; the command is restored
# after. Where the stage installed other releases of the packages than the step did (the archive changed in
# between), the step makes the store itself, as dpkg would have.
TRUST_STORE = "/run/trust-store"
JAVA_PENDING = "/var/lib/ca-certificates-java"  # where Java's keystore hook lists the changes it has not made
KEYSTORE_SWITCH, KEYSTORE_OFF = "CACERT_UPDATES", "disabled"  # ca-certificates-java's off switch for that hook
TRUST_PACKAGES = ("ca-certificates", "ca-certificates-java")
_UPDATE_CAS = "/usr/sbin/update-ca-certificates"
TRUST_INSTALLED = "dpkg-query -W -f='${Package} ${Version}\\n' " + " ".join(TRUST_PACKAGES)
_TRUST_DEFER = f"""dpkg-divert --quiet --local --rename --divert {_UPDATE_CAS}.real --add {_UPDATE_CAS}
printf '#!/bin/sh\\n' > {_UPDATE_CAS} && chmod 755 {_UPDATE_CAS}
export {KEYSTORE_SWITCH}={KEYSTORE_OFF}
"""
_TRUST_PLACE = f"""rm {_UPDATE_CAS} && dpkg-divert --quiet --local --rename --remove {_UPDATE_CAS}
installed=$({TRUST_INSTALLED})
if [ "$installed" = "$(cat {TRUST_STORE}/versions)" ]; then
  cp -a {TRUST_STORE}/certs/. /etc/ssl/certs/
  rm -f {JAVA_PENDING}/fresh {JAVA_PENDING}/pending
else
  echo "the trust store's stage has $(cat {TRUST_STORE}/versions | tr '\\n' ' '), this step $installed: made here" >&2
  {KEYSTORE_SWITCH}= update-ca-certificates --fresh --localcertsdir "$(mktemp -d)"
fi
"""

# Debian's Python byte-compiles its modules where its packages are installed: their maintainer scripts
# run py_compile (and py3compile) over every module, about 30 s under emulation for python3 and its
# standard library. Bytecode is the same on every platform for the same source, so a stage takes what
# those scripts compiled natively (stages.PYTHON_BYTECODE: PYTHON_MODULES, and the files), and the step that
# installs Python mounts it, while dpkg's scripts find both compilers no-ops (diverted; restored after).
# For each module under /usr its packages list, the step then puts the stage's file in place where the
# stage's source was the same bytes and the file is valid for the step's (the source's time and size in
# its header, as Python checks it), leaves alone what Debian's scripts leave uncompiled, and compiles
# the rest itself, as those scripts would (py_compile): a platform's own modules (_sysconfigdata), and
# files another release or another platform's build of a package changed.
PYTHON_BYTECODE = "/run/python-bytecode"
PYTHON_MODULES = "modules.json"  # the stage's modules: each source's SHA-256, and whether Debian compiled it
PYTHON_PACKAGES = "'python3*' 'libpython3*'"  # dpkg-query's patterns: the packages whose scripts compile
# the installed ones' modules under /usr, one a line (dpkg-query -W also lists packages it knows but has not installed)
PYTHON_LISTED = (
    f"dpkg -L $(dpkg-query -W -f='${{db:Status-Abbrev}} ${{Package}}\\n' {PYTHON_PACKAGES} | sed -n 's/^ii  *//p')"
    " | grep '^/usr/.*[.]py$'"
)
_PY_COMPILERS = f"/usr/lib/python{product.PYTHON_VERSION}/py_compile.py /usr/bin/py3compile"
PYTHON_COMPILERS_OFF = f"""for compiler in {_PY_COMPILERS}; do
  dpkg-divert --quiet --local --rename --divert "$compiler.real" --add "$compiler"
  mkdir -p "$(dirname "$compiler")" && printf '#!/bin/sh\\n' > "$compiler" && chmod 755 "$compiler"
done
"""
_PY_PLACE = f"""for compiler in {_PY_COMPILERS}; do
  rm "$compiler" && dpkg-divert --quiet --local --rename --remove "$compiler"
done
{PYTHON_LISTED} >/tmp/python-modules
/usr/bin/python3 -E -S - <<'PLACE'
import hashlib, importlib.util as u, json, os, py_compile, shutil, sys
staged = json.load(open("{PYTHON_BYTECODE}/{PYTHON_MODULES}"))
here = []
for source in open("/tmp/python-modules").read().splitlines():
    known, compiled = staged.get(source), u.cache_from_source(source)
    if known and not known["compiled"]:
        continue  # as Debian's scripts leave it
    st, theirs = os.stat(source), "{PYTHON_BYTECODE}/files" + compiled
    header = u.MAGIC_NUMBER + bytes(4) + (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
    header += (st.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    if known and known["sha256"] == hashlib.sha256(open(source, "rb").read()).hexdigest() \\
            and os.path.exists(theirs) and open(theirs, "rb").read(16) == header:
        os.makedirs(os.path.dirname(compiled), exist_ok=True)
        shutil.copyfile(theirs, compiled)
    else:
        py_compile.compile(source, doraise=True)
        here.append(source)
if here:
    print(f"{{len(here)}} modules not as the bytecode's stage had them: compiled here:", *here[:8], file=sys.stderr)
PLACE
rm /tmp/python-modules
"""


# The engine trusts the build host's CAs (a TLS-intercepting proxy's): before each exec it writes them
# into /usr/local/share/ca-certificates and runs update-ca-certificates where it finds the command on
# the exec's PATH, and after the exec it deletes them and runs the command again. Debian's command
# forks a few processes per certificate: 16 s a run under QEMU, twice a step. So every Dagger step mounts
# a no-op where the engine looks first (CA_HOOK_NOOP: /usr/local/sbin comes before /usr/sbin on every
# PATH), and its script takes that folder off its own PATH (ENGINE_CAS): dpkg's scripts and the step's
# commands run Debian's. The step's downloads trust the engine's CAs as they trust a --ca-bundle
# (BUILD_CA), through CA_ENV, here a bundle made for the step (Debian's and the engine's CAs) in a
# folder mounted for the step only; apt fetches over http and checks the archive's signatures.
# Where a step's own update-ca-certificates runs (dpkg installs or upgrades ca-certificates) it links the
# engine's CAs into /etc/ssl/certs, the bundle and (with Java's hook, where ca-certificates-java is
# installed) Java's keystore. So every step the Dagger path runs as root takes them out itself, and makes
# the bundle again without them (a Docker build has no such CAs: its CA is a build secret in BUILD_CA,
# never trusted by the system). One run as another user cannot: the facts check finds what it leaves.
# Java's hook is the costly part: a JVM before the step and one after it (about 1 CPU-s natively, 30-50 s
# under QEMU), and keytool's to take the entries out. So every Dagger step runs with ca-certificates-java's
# own off switch in its environment (KEYSTORE_HOOK_OFF, scoped: not in the image): the hook then only
# lists the CAs in its pending file, which the step deletes. The step that installs the JRE places a
# keystore made beforehand (TRUST_STORE); the layer that makes that one keeps the hook
# (Layer.makes_keystore).
KEYSTORE_HOOK_OFF = {KEYSTORE_SWITCH: KEYSTORE_OFF}
CA_ENV = ("CURL_CA_BUNDLE", "PIP_CERT", "SSL_CERT_FILE")  # curl, pip, uv (and Go, Python, OpenSSL)
DROP_BUILD_CAS = f"""
dropped=
for crt in /usr/local/share/ca-certificates/*.crt; do
  pem=/etc/ssl/certs/$(basename "${{crt%.crt}}").pem
  [ -L "$pem" ] && [ -w /etc/ssl/certs ] || continue
  [ "${{{KEYSTORE_SWITCH}:-}}" = {KEYSTORE_OFF} ] || ! command -v keytool >/dev/null \
    || keytool -delete -cacerts -storepass changeit -alias "debian:${{pem##*/}}" >/dev/null || :
  find /etc/ssl/certs -maxdepth 1 -lname "${{pem##*/}}" -delete
  rm -f "$pem" && dropped=1
done
[ -z "$dropped" ] || update-ca-certificates --localcertsdir "$(mktemp -d)" --hooksdir "$(mktemp -d)" >/dev/null
[ "${{{KEYSTORE_SWITCH}:-}}" != {KEYSTORE_OFF} ] || [ ! -w {JAVA_PENDING} ] || rm -f {JAVA_PENDING}/pending
"""
CA_HOOK_NOOP = "/usr/local/sbin/update-ca-certificates"
ENGINE_CAS_DIR = "/run/engine-cas"
BUILD_CA = "/run/build-ca/ca.pem"
CA_SECRET = "build-ca"  # the Dockerfiles' way: docker build --secret id=build-ca,src=ca.pem
# the system's bundle is absent until ca-certificates is installed (the base image's first apt step)
ENGINE_CAS = f"""PATH=":$PATH:" && PATH=${{PATH//:\\/usr\\/local\\/sbin:/:}} && PATH=${{PATH#:}} && PATH=${{PATH%:}}
engine_cas=(/usr/local/share/ca-certificates/*.crt)
if [ ! -e {BUILD_CA} ] && [ -e "${{engine_cas[0]}}" ]; then
  system=/etc/ssl/certs/ca-certificates.crt
  {{ [ ! -e "$system" ] || cat "$system"; cat "${{engine_cas[@]}}"; }} >{ENGINE_CAS_DIR}/bundle.pem
  export {" ".join(f"{name}={ENGINE_CAS_DIR}/bundle.pem" for name in CA_ENV)}
fi
"""
# How every Dagger build step runs: the step's own script is the exec's last argument, run between
# ENGINE_CAS and DROP_BUILD_CAS, so the exec (and a failed step's error: log.step_failure) shows it as written.
STEP = ENGINE_CAS + 'eval "$1"\n' + DROP_BUILD_CAS


def apt_install(*packages: str, then: str = "", trust_store: Stage | None = None, bytecode: Stage | None = None) -> Run:
    """A step that installs Debian packages (from $DEBIAN_MIRROR if set), then runs `then`, leaving no apt
    lists. One step, not two: each step of an emulated build pays for its start (the
    engine's CA set-up runs under QEMU too). trust_store: the stage that made Debian's trust store for
    packages that install it (TRUST_STORE); bytecode: the stage that compiled Debian's Python for packages
    that install it (PYTHON_BYTECODE). One of them at most: a step mounts one stage."""
    install = f"apt-get install -y --no-install-recommends {' '.join(packages)}\n"
    if trust_store is not None and bytecode is not None:
        raise ValueError("an apt step mounts one stage: the trust store's or the bytecode's")
    if trust_store is not None:
        mount = CopyFrom(trust_store, STAGE_OUT, TRUST_STORE)
        return Run(APT_INSTALL + _TRUST_DEFER + install + _TRUST_PLACE + APT_CLEAN + then, mount=mount)
    if bytecode is not None:
        mount = CopyFrom(bytecode, STAGE_OUT, PYTHON_BYTECODE)
        return Run(APT_INSTALL + PYTHON_COMPILERS_OFF + install + _PY_PLACE + APT_CLEAN + then, mount=mount)
    return Run(APT_INSTALL + install + APT_CLEAN + then)


def _maven_download(path: str, sha256: str, dest: str) -> str:
    return f'{CURL} "$MAVEN_REPO/{path}" -o {dest}\necho "{sha256}  {dest}" | sha256sum -c -\n'


def maven_jar(jar: releases.MavenJar, dest: str) -> str:
    """Shell lines that download a jar from $MAVEN_REPO and verify the SHA-256 the updater recorded."""
    return _maven_download(jar.path(), jar.sha256, dest)


def maven_jar_per_platform(jars: tuple[tuple[str, releases.MavenJar], ...], dest: str) -> str:
    """maven_jar for a jar with a build per platform, in a Stage that reads TARGETARCH: the build for the
    image's architecture, so the recipe (and the Dockerfile rendered from it) stays platform-neutral; any
    other architecture stops the build."""
    cases = "".join(f'  {catalog.arch(p)}) jar="{jar.path()}" sha256={jar.sha256} ;;\n' for p, jar in jars)
    built = ", ".join(catalog.arch(p) for p, _ in jars)
    return (
        f'case "${TARGETARCH}" in\n{cases}'
        f'  *) echo "no build of this jar for ${TARGETARCH}; versions.json has: {built}" >&2; exit 1 ;;\n'
        "esac\n" + _maven_download("$jar", "$sha256", dest)
    )


# Dagger gates a service on its image's healthcheck: probe every 2 s while starting
HEALTHCHECK = {"interval": "30s", "timeout": "5s", "start_period": "60s", "start_interval": "2s", "retries": 3}


def apply(ctr: dagger.Container, layer: Layer, opts: BuildOptions, target: str | None = None) -> dagger.Container:
    """Build layer on ctr with the Dagger API; target: the platform of the image being built (what its
    stages' TARGETARCH says)."""
    values = opts.values() | ({TARGETARCH: catalog.arch(target)} if target else {})
    if missing := [name for name in layer.args if name not in values]:
        raise ValueError(f"building a layer that reads {missing} needs the target platform")
    scoped = {name: values[name] for name in layer.args if values[name]}
    if not layer.makes_keystore:
        scoped |= KEYSTORE_HOOK_OFF
    if opts.ca_bundle is not None:
        ctr = ctr.with_mounted_file(BUILD_CA, opts.ca_bundle)
        scoped |= dict.fromkeys(CA_ENV, BUILD_CA)
    if opts.refresh:
        scoped[REFRESH] = opts.refresh
    for step in layer.steps:
        if isinstance(step, CopyFrom):
            ctr = ctr.with_directory(step.dest, _stage_files(step, opts, target))
        elif isinstance(step, Run) and step.mount is not None:
            ctr = ctr.with_mounted_directory(step.mount.dest, _stage_files(step.mount, opts, target))
            ctr = _apply_step(ctr, step, scoped, opts.files()).without_mount(step.mount.dest)
        else:
            ctr = _apply_step(ctr, step, scoped, opts.files())
    if opts.ca_bundle is not None:
        ctr = ctr.without_mount(BUILD_CA)
    for name, value in layer.labels.items():
        ctr = ctr.with_label(name, value)
    return ctr


def _stage_files(step: CopyFrom, opts: BuildOptions, target: str | None) -> dagger.Directory:
    return built_stage(step.stage, opts, target).directory(step.src)


def built_stage(stage: Stage, opts: BuildOptions, target: str | None) -> dagger.Container:
    """A stage built on the engine's own platform (a container without a platform gets the engine's)."""
    on = built_stage(stage.base, opts, target) if isinstance(stage.base, Stage) else dag.container().from_(stage.base)
    return apply(on, stage.layer, opts, target)


def _ca_hook_noop() -> dagger.File:
    """What the engine's CA set-up runs around a build step (CA_HOOK_NOOP)."""
    return dag.directory().with_new_file("noop", "#!/bin/sh\n", permissions=0o755).file("noop")


def _apply_step(ctr: dagger.Container, step: Step, scoped: dict[str, str], files: dagger.Directory) -> dagger.Container:
    match step:
        case Run(script, cache, _):
            for name, value in scoped.items():
                ctr = ctr.with_env_variable(name, value)
            if cache:
                ctr = ctr.with_mounted_cache(cache, dag.cache_volume("jupyter-spark-pip"))
            ctr = ctr.with_mounted_file(CA_HOOK_NOOP, _ca_hook_noop()).with_mounted_temp(ENGINE_CAS_DIR)
            ctr = ctr.with_exec(["bash", "-euo", "pipefail", "-c", STEP, "build-step", script])
            ctr = ctr.without_mount(CA_HOOK_NOOP).without_mount(ENGINE_CAS_DIR)
            if cache:
                ctr = ctr.without_mount(cache)
            for name in scoped:
                ctr = ctr.without_env_variable(name)
            return ctr
        case Env(name, value):
            return ctr.with_env_variable(name, value, expand=True)
        case Copy(src, dest, mode):
            return ctr.with_file(dest, files.file(src), permissions=mode, owner="0:0")
        case Config():
            return _apply_config(ctr, step)
    raise TypeError(f"unknown step {step!r}")


def _apply_config(ctr: dagger.Container, cfg: Config) -> dagger.Container:
    if cfg.user is not None:
        ctr = ctr.with_user(cfg.user)
    if cfg.workdir is not None:
        ctr = ctr.with_workdir(cfg.workdir)
    for port in cfg.expose:
        ctr = ctr.with_exposed_port(port)
    if cfg.entrypoint is not None:
        ctr = ctr.with_entrypoint(list(cfg.entrypoint))
    if cfg.cmd is not None:
        ctr = ctr.with_default_args(list(cfg.cmd))
    if cfg.healthcheck is not None:
        ctr = ctr.with_docker_healthcheck(list(cfg.healthcheck), **HEALTHCHECK)
    return ctr


def render(layer: Layer, defaults: BuildOptions | None = None) -> list[str]:
    """The layer as Dockerfile lines (after its FROM)."""
    values = (defaults or BuildOptions()).values()
    lines = [f"ARG {name}={values[name]}" if name in values else f"ARG {name}" for name in layer.args]
    for step in layer.steps:
        lines += _render_step(step)
    lines += [f"LABEL {name}={json.dumps(value)}" for name, value in layer.labels.items()]
    return lines


def _render_step(step: Step) -> list[str]:
    match step:
        case Run(script, cache, stage_files):
            # the --ca-bundle of the Dagger path as an optional build secret
            mounts = f"--mount=type=secret,id={CA_SECRET},target={BUILD_CA} "
            mounts += f"--mount=type=cache,target={cache} " if cache else ""
            if stage_files is not None:
                mounts += f"--mount=type=bind,from={stage_files.stage.name},source={stage_files.src},target={stage_files.dest} "
            trust = f"if [ -s {BUILD_CA} ]; then export {' '.join(f'{name}={BUILD_CA}' for name in CA_ENV)}; fi"
            # a heredoc with a shebang runs as a script file with that interpreter (/bin/sh is dash)
            return [f"RUN {mounts}<<'EOF'\n#!/bin/bash\nset -euo pipefail\n{trust}\n{script.strip()}\nEOF"]
        case Env(name, value):
            return [f"ENV {name}={value}"]
        case Copy(src, dest, mode):
            return [f"COPY --chmod={mode:o} {src} {dest}"]
        case CopyFrom(stage, src, dest):
            return [f"COPY --from={stage.name} {src} {dest}"]
        case Config():
            return _render_config(step)
    raise TypeError(f"unknown step {step!r}")


def render_stage(stage: Stage) -> list[str]:
    """A stage as Dockerfile lines, FROM included: on the build platform (a stage it builds on is already)."""
    base = stage.base.name if isinstance(stage.base, Stage) else f"--platform=$BUILDPLATFORM {stage.base}"
    return [f"FROM {base} AS {stage.name}", *render(stage.layer)]


def _render_config(cfg: Config) -> list[str]:
    lines = []
    if cfg.user is not None:
        lines.append(f"USER {cfg.user}")
    if cfg.workdir is not None:
        lines.append(f"WORKDIR {cfg.workdir}")
    if cfg.expose:
        lines.append("EXPOSE " + " ".join(map(str, cfg.expose)))
    if cfg.entrypoint is not None:
        lines.append(f"ENTRYPOINT {json.dumps(list(cfg.entrypoint))}")
    if cfg.cmd is not None:
        lines.append(f"CMD {json.dumps(list(cfg.cmd))}")
    if cfg.healthcheck is not None:
        flags = " ".join(f"--{name.replace('_', '-')}={value}" for name, value in HEALTHCHECK.items())
        lines.append(f"HEALTHCHECK {flags} CMD {json.dumps(list(cfg.healthcheck))}")
    return lines
