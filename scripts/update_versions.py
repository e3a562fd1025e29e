"""`make update-versions`: refresh pipeline/versions.json from PyPI and Maven, re-render dockerfiles/.

For each Spark line in the data file: the newest patch release on PyPI (final versions with an
sdist, not yanked) is added when it is newer than every release listed; every listed release keeps
its place (nothing is dropped: that is a decision, made by hand). For each release: its pyspark sdist
path and SHA-256 from PyPI's JSON API; where the line's distribution lacks the Connect server (3.5),
the spark-connect jar of the same version, or, where Maven does not serve that version, the newest
one of the line it does serve, recorded as a stand-in with the reason. For each jar (Connect,
Iceberg, RAPIDS): Maven's SHA-1, its SHA-256 (Maven's where published, else computed from the
download, which is verified against Maven's SHA-1 and any SHA-256/SHA-512 it publishes), its size;
RAPIDS: a jar per platform (NVIDIA builds each under the Maven classifier the data file names)
and the line's shims from their listings, which must agree. A jar is downloaded only when it is
new, when Maven's SHA-1 differs from the recorded one, or with --verify-jars.

The images' direct Python dependencies (requirements/jupyter-LINE.in, pipeline/python_deps.py): each
pin moves to the newest release on PyPI that installs on the images' Python and that its
`# updates:` policy allows (the same major by default); the newest of all is recorded with the date
in requirements/pypi-newest.json, which the report holds the pins to. Where a pin moved, the locks
are made again (`make lock-images`) and the locked packages that changed are printed.

Then it writes the data file, re-renders dockerfiles/ and prints what changed (a unified diff of
the data file and the .in files, the Dockerfiles rewritten). --dry-run prints the same and writes
nothing; --check exits 1 when anything would change (upstream moved). Jar versions and a line's
variants are edited by hand in the data file; this script then fills in their checksums.

usage: update_versions.py [--dry-run | --check] [--keep-releases] [--keep-python] [--verify-jars] [--line 4.1 ...]
"""

from __future__ import annotations

import argparse
import copy
import datetime
import difflib
import hashlib
import json
import re
import ssl
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import product, python_deps, releases  # noqa: E402

PYPI_PROJECT = "https://pypi.org/pypi/{name}/json"
PYPI_JSON = PYPI_PROJECT.format(name="pyspark")
FINAL = re.compile(r"^\d+\.\d+\.\d+$")
SHIM = re.compile(r"^spark(\d)(\d)(\d)/")


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def line_of(version: str) -> str:
    return ".".join(version.split(".")[:2])


# --- PyPI ------------------------------------------------------------------------------------


def sdist(pypi: dict[str, Any], version: str) -> tuple[str, str] | None:
    """(path under PYPI_FILES, SHA-256) of a release's sdist, or None if it has no usable one.

    The path is PyPI's storage path, which is derived from the file's BLAKE2b-256 digest
    (aa/bb/rest/filename): taken from the digest, checked against the URL (mirrors rewrite hosts)."""
    for f in pypi.get("releases", {}).get(version, []):
        if f.get("packagetype") != "sdist" or f.get("yanked"):
            continue
        blake, name = f["digests"]["blake2b_256"], f["filename"]
        path = f"{blake[:2]}/{blake[2:4]}/{blake[4:]}/{name}"
        if not f["url"].endswith("/" + path):
            raise ValueError(f"pyspark {version}: sdist URL {f['url']} does not end with its storage path {path}")
        return path, f["digests"]["sha256"]
    return None


def final_releases(pypi: dict[str, Any]) -> list[str]:
    """Final (x.y.z) releases with an sdist that is not yanked, oldest first."""
    return sorted((v for v in pypi.get("releases", {}) if FINAL.match(v) and sdist(pypi, v)), key=version_key)


def installable(pypi: dict[str, Any], python: str) -> list[str]:
    """A project's final releases with a file that is not yanked and installs on Python `python`, oldest first."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    def fits(f: dict[str, Any]) -> bool:
        try:
            return not f.get("yanked") and SpecifierSet(f.get("requires_python") or "").contains(python)
        except InvalidSpecifier:
            return False

    found = (v for v, files in pypi.get("releases", {}).items() if python_deps.FINAL.match(v) and any(map(fits, files)))
    return sorted(found, key=python_deps.version_key)


def newest_patch(versions: list[str], line: str) -> str | None:
    same = [v for v in versions if line_of(v) == line]
    return max(same, key=version_key) if same else None


# --- Maven -----------------------------------------------------------------------------------


def maven_versions(metadata_xml: str) -> list[str]:
    """The versions a maven-metadata.xml lists, oldest first by Maven's order."""
    return [v.text.strip() for v in ET.fromstring(metadata_xml).iter("version") if v.text]


def first_word(checksum_file: str) -> str:
    """A .sha1/.sha256 file's digest (some hold "digest  filename")."""
    return checksum_file.split()[0].lower()


def connect_version(release: str, served: list[str]) -> tuple[str, str]:
    """(jar version, stand-in reason or "") of the Connect server jar for a release."""
    if release in served:
        return release, ""
    older = [v for v in served if FINAL.match(v) and line_of(v) == line_of(release)]
    older = [v for v in older if version_key(v) < version_key(release)]
    if not older:
        raise LookupError(f"Maven serves no spark-connect jar of Spark {line_of(release)} up to {release}")
    stand_in = max(older, key=version_key)
    return stand_in, (
        f"Maven serves no {release} of this artifact (newest of the line there: {stand_in}): "
        f"the {stand_in} server jar, labelled as such; `make update-versions` switches to {release} once served"
    )


def shims_of(names: list[str], line: str) -> list[str]:
    """The Spark versions of a line that a RAPIDS jar has a shim for (its sparkXYZ/ folders)."""
    found = {".".join(m.groups()) for n in names if (m := SHIM.match(n))}
    return sorted((v for v in found if line_of(v) == line), key=version_key)


JAR_KEYS = (
    "group",
    "artifact",
    "version",
    "classifier",
    "sha1",
    "sha256",
    "sha256_from",
    "size",
    "shims",
    "explain_needs_gpu",
    "jars",
)


def ordered(jar: dict[str, Any]) -> dict[str, Any]:
    """A jar record with its keys in one order (others, e.g. stand_in, last)."""
    return {k: jar[k] for k in JAR_KEYS if k in jar} | {k: v for k, v in jar.items() if k not in JAR_KEYS}


# --- fetching --------------------------------------------------------------------------------


@dataclass
class Download:
    sha1: str
    sha256: str
    sha512: str
    size: int
    names: list[str] = field(default_factory=list)  # the jar's entries, when asked for


class Fetcher(Protocol):
    def text(self, url: str) -> str | None: ...  # None: not found (404)
    def download(self, url: str, list_entries: bool) -> Download: ...


class HttpFetcher:
    """httpx with the system's CAs (a TLS-intercepting proxy's CA included)."""

    def __init__(self) -> None:
        import httpx

        self.client = httpx.Client(verify=ssl.create_default_context(), timeout=60, follow_redirects=True)

    def text(self, url: str) -> str | None:
        response = self.client.get(url)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.text

    def download(self, url: str, list_entries: bool) -> Download:
        digests = [hashlib.sha1(), hashlib.sha256(), hashlib.sha512()]
        size = 0
        with tempfile.TemporaryFile() as tmp:
            with self.client.stream("GET", url, timeout=600) as response:
                response.raise_for_status()
                for chunk in response.iter_bytes(1 << 20):
                    size += len(chunk)
                    tmp.write(chunk)
                    for d in digests:
                        d.update(chunk)
            tmp.seek(0)
            names = zipfile.ZipFile(tmp).namelist() if list_entries else []
        return Download(*(d.hexdigest() for d in digests), size, names)


# --- the update ------------------------------------------------------------------------------


@dataclass
class Updater:
    fetch: Fetcher
    maven_repo: str = releases.MAVEN_CENTRAL
    verify_jars: bool = False
    log: Callable[[str], None] = print
    notes: list[str] = field(default_factory=list)
    seen: dict[tuple[str, str, str, str], dict] = field(default_factory=dict)  # jars refreshed, by coordinates

    def jar(
        self,
        group: str,
        artifact: str,
        version: str,
        recorded: dict[str, Any] | None,
        line: str = "",
        classifier: str = "",
    ) -> dict:
        """A jar's record: Maven's SHA-1, SHA-256, size (and RAPIDS shims of the line when line is given and
        the jar was downloaded)."""
        key = (group, artifact, version, classifier)
        coordinates = releases.MavenJar(group, artifact, version, "", "", 0, classifier=classifier)
        filename, base = coordinates.filename, f"{self.maven_repo}/{coordinates.path()}"
        sha1 = self.fetch.text(base + ".sha1")
        if sha1 is None:
            raise LookupError(f"Maven serves no {group}:{artifact}:{version}{':' + classifier if classifier else ''}")
        sha1 = first_word(sha1)
        if key in self.seen and not line:
            return dict(self.seen[key])
        same = recorded and recorded.get("version") == version and recorded.get("sha1") == sha1
        if same and recorded.get("sha256") and recorded.get("size") and not self.verify_jars:
            self.seen.setdefault(key, dict(recorded))
            return dict(recorded)
        self.log(f"downloading {filename} to verify it and compute its SHA-256 ...")
        got = self.fetch.download(base, list_entries=bool(line))
        if got.sha1 != sha1:
            raise ValueError(f"{base}: SHA-1 {got.sha1} is not Maven's {sha1}")
        source = "computed"
        for name in ("sha256", "sha512"):
            published = self.fetch.text(f"{base}.{name}")
            if published is not None:
                if first_word(published) != getattr(got, name):
                    raise ValueError(f"{base}: {name} {getattr(got, name)} is not Maven's {first_word(published)}")
                source = "maven" if name == "sha256" else source
        out = dict(recorded or {}) | {
            "version": version,
            "sha1": sha1,
            "sha256": got.sha256,
            "sha256_from": source,
            "size": got.size,
        }
        if line:
            out["shims"] = shims_of(got.names, line)
        self.seen[key] = out
        return out

    def rapids(self, rapids: dict[str, Any], line: str) -> dict[str, Any]:
        """A line's RAPIDS record: the release's jar for each platform listed (its classifier), the shims
        from the jars downloaded, which must all ship the same ones."""
        jars, shims = {}, {}
        for platform, recorded in rapids["jars"].items():
            got = self.jar(
                rapids["group"], rapids["artifact"], rapids["version"], recorded | {"version": rapids["version"]},
                line, recorded.get("classifier", ""),
            )  # fmt: skip
            if "shims" in got:
                shims[platform] = got["shims"]
            jars[platform] = ordered({k: v for k, v in got.items() if k not in ("version", "shims")})
        if len({tuple(s) for s in shims.values()}) > 1:
            raise ValueError(f"RAPIDS {rapids['version']}: the platforms' jars ship different shims: {shims}")
        return ordered(rapids | {"shims": next(iter(shims.values()), rapids["shims"]), "jars": jars})

    def release(self, version: str, pypi: dict[str, Any], line: dict[str, Any], recorded: dict | None) -> dict:
        found = sdist(pypi, version)
        if found is None:
            raise LookupError(f"PyPI has no usable sdist of pyspark {version}")
        entry = {"version": version, "sdist_path": found[0], "sdist_sha256": found[1], "connect": None}
        if connect := line["connect"]:
            group, artifact = connect["group"], connect["artifact"]
            meta = self.fetch.text(f"{self.maven_repo}/{group.replace('.', '/')}/{artifact}/maven-metadata.xml")
            if meta is None:
                raise LookupError(f"Maven serves no {group}:{artifact}")
            jar_version, stand_in = connect_version(version, maven_versions(meta))
            old = (recorded or {}).get("connect")
            jar = {k: v for k, v in self.jar(group, artifact, jar_version, old).items() if k != "stand_in"}
            if stand_in:
                jar["stand_in"] = stand_in
                self.notes.append(f"Spark {version}: Connect server jar {jar_version} stands in ({stand_in})")
            entry["connect"] = ordered(jar)
        return entry

    def python_pins(self, python: str, move: bool = True) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
        """The images' direct Python pins: ({line: {name: version it moves to}}, {name: newest release that
        installs on Python `python`}); with move=False nothing moves, and the notes say what would."""
        moves: dict[str, dict[str, str]] = {}
        newest: dict[str, str] = {}
        releases: dict[str, list[str]] = {}
        for line in python_deps.lines():
            for pin in python_deps.line_pins(line):
                if pin.name not in releases:
                    text = self.fetch.text(PYPI_PROJECT.format(name=pin.name))
                    releases[pin.name] = installable(json.loads(text), python) if text else []
                    if not releases[pin.name]:
                        raise LookupError(f"PyPI has no release of {pin.name} for Python {python} ({line} pins it)")
                    newest[pin.name] = releases[pin.name][-1]
                to = python_deps.choose(pin, releases[pin.name])
                if to != pin.version and move:
                    moves.setdefault(line, {})[pin.name] = to
                    self.notes.append(f"Spark {line}: {pin.name} {pin.version} -> {to}")
                elif newest[pin.name] != pin.version:
                    why = "--keep-python" if to != pin.version else f"# updates: {pin.policy}"
                    self.notes.append(f"Spark {line}: {pin.name} {pin.version} kept ({why}); newest {newest[pin.name]}")
        return moves, newest

    def update(self, data: dict[str, Any], pypi: dict[str, Any], add: bool = True, lines: list[str] = ()) -> dict:
        new = copy.deepcopy(data)
        for name, line in new["lines"].items():
            iceberg = line["iceberg"]
            line["iceberg"] = ordered(self.jar(iceberg["group"], iceberg["artifact"], iceberg["version"], iceberg))
            line["rapids"] = self.rapids(line["rapids"], name)
        listed = {r["version"]: r for r in data["releases"]}
        versions = list(listed)
        available = final_releases(pypi)
        for name in new["lines"]:
            newest = newest_patch(available, name)
            mine = newest_patch(versions, name)
            if newest and (mine is None or version_key(newest) > version_key(mine)):
                if add and (not lines or name in lines):
                    versions.append(newest)
                    self.notes.append(f"Spark {name}: added {newest} (newest patch release on PyPI)")
                else:
                    self.notes.append(f"Spark {name}: {newest} is on PyPI, not added (--keep-releases / --line)")
        versions.sort(key=version_key)
        if unknown := [v for v in versions if line_of(v) not in new["lines"]]:
            raise ValueError(f"releases of lines the data file does not declare: {', '.join(unknown)}")
        new["releases"] = [self.release(v, pypi, new["lines"][line_of(v)], listed.get(v)) for v in versions]
        for name in new["lines"]:
            if not (ROOT / f"requirements/jupyter-{name}.in").exists():
                self.notes.append(
                    f"Spark {name}: no requirements/jupyter-{name}.in: copy the nearest line's, `make lock`"
                )
        return new


def render_dockerfiles() -> dict[str, str]:
    """Re-render dockerfiles/ in a fresh interpreter (it reads the data file as written) and return
    {path: text} of what was there before."""
    before = {str(p.relative_to(ROOT)): p.read_text() for p in (ROOT / "dockerfiles").rglob("*Dockerfile")}
    subprocess.run([sys.executable, "-W", "ignore", "-m", "pipeline.rendering"], cwd=ROOT, check=True)
    return before


def relock() -> str:
    """`make lock-images` for moved pins; what changed in the locks, a line per package."""
    locks = sorted(python_deps.REQUIREMENTS.glob("jupyter-*.txt"))

    def locked() -> dict[str, set[str]]:
        return {p.name: set(re.findall(r"^([A-Za-z0-9_.-]+==\S+)", p.read_text(), re.M)) for p in locks}

    before = locked()
    subprocess.run(["make", "lock-images"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    after = locked()
    out = []
    for name in before:
        old = dict(p.split("==") for p in before[name] - after[name])
        new = dict(p.split("==") for p in after[name] - before[name])
        out += [f"{name}: {pkg} {old.get(pkg, '(new)')} -> {new.get(pkg, '(gone)')}" for pkg in sorted(old | new)]
    return "\n".join(out) or "requirements/jupyter-*.txt: no locked package changed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print what would change, write nothing")
    mode.add_argument("--check", action="store_true", help="as --dry-run, and exit 1 if anything would change")
    parser.add_argument("--keep-releases", action="store_true", help="refresh checksums only, add no release")
    parser.add_argument("--keep-python", action="store_true", help="move no Python pin (still records the newest)")
    parser.add_argument("--line", action="append", default=[], help="add releases only to this line (repeatable)")
    parser.add_argument("--verify-jars", action="store_true", help="download every jar again and verify it")
    parser.add_argument("--pypi-json", default=PYPI_JSON, help=f"pyspark's JSON API URL (default {PYPI_JSON})")
    parser.add_argument("--maven-repo", default=releases.MAVEN_CENTRAL)
    args = parser.parse_args(argv)

    fetch = HttpFetcher()
    pypi_text = fetch.text(args.pypi_json)
    if pypi_text is None:
        sys.exit(f"{args.pypi_json}: not found")
    old_text = releases.VERSIONS_FILE.read_text()
    updater = Updater(fetch, args.maven_repo, args.verify_jars, log=lambda m: print(m, file=sys.stderr))
    new = updater.update(json.loads(old_text), json.loads(pypi_text), add=not args.keep_releases, lines=args.line)
    new_text = releases.dump_versions(new)
    releases.parse_versions(new)  # what the matrix will read must parse

    moves, newest = updater.python_pins(product.PYTHON_VERSION, move=not args.keep_python)
    ins = {python_deps.in_file(line): versions for line, versions in moves.items()}
    ins = {path: (path.read_text(), python_deps.repinned(path.read_text(), v)) for path, v in ins.items()}

    diff = []
    for path, (old, updated) in [(releases.VERSIONS_FILE, (old_text, new_text)), *ins.items()]:
        rel = str(path.relative_to(ROOT))
        diff += difflib.unified_diff(old.splitlines(), updated.splitlines(), rel, rel, lineterm="")
    for note in updater.notes:
        print(f"note: {note}")
    print("\n".join(diff) if diff else "pipeline/versions.json, requirements/jupyter-*.in: no change")
    if args.dry_run or args.check:
        print(f"({'check' if args.check else 'dry run'}: nothing written)")
        return 1 if args.check and diff else 0
    releases.VERSIONS_FILE.write_text(new_text)
    for path, (_, updated) in ins.items():
        path.write_text(updated)
    record = {"checked": datetime.date.today().isoformat(), "python": product.PYTHON_VERSION, "newest": newest}
    python_deps.NEWEST_FILE.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    if ins:
        print(relock())
    before = render_dockerfiles()
    after = {str(p.relative_to(ROOT)): p.read_text() for p in (ROOT / "dockerfiles").rglob("*Dockerfile")}
    changed = sorted(p for p in after.keys() | before.keys() if before.get(p) != after.get(p))
    print("dockerfiles/: " + (", ".join(changed) + " re-rendered" if changed else "no change"))
    if diff:
        print(
            "next: review `git diff`, update tests/test_matrix.py's product list if the set of images changed, commit"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
