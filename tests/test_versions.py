"""The data file (pipeline/versions.json), the lock files and the updater (scripts/update_versions.py).

CI fails here when the data file is not in the updater's format, when a Spark line lacks its lock
files or they pin another JupyterLab than the labels say, or a jar lacks its checksums; the drift of
dockerfiles/ from the data file is tests/test_dockerfiles.py's. The updater's network-free parts are
tested with small samples of PyPI's JSON and Maven's metadata; nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import re
import sys
import zipfile

import pytest

from pipeline import product, python_deps, releases, report
from pipeline.checks.result import ImageResult
from pipeline.recipe import ROOT

spec = importlib.util.spec_from_file_location("update_versions", ROOT / "scripts/update_versions.py")
uv = importlib.util.module_from_spec(spec)
sys.modules["update_versions"] = uv  # dataclasses look their module up
spec.loader.exec_module(uv)

DATA = releases.load_versions()


def jars(data: dict) -> list[dict]:
    out = [line["iceberg"] for line in data["lines"].values()]
    out += [jar for line in data["lines"].values() for jar in line["rapids"]["jars"].values()]
    return out + [r["connect"] for r in data["releases"] if r["connect"]]


def test_the_data_file_is_in_the_updaters_format():
    assert releases.VERSIONS_FILE.read_text() == releases.dump_versions(DATA), "run `make update-versions`"


def test_every_jar_and_sdist_has_its_checksums():
    for jar in jars(DATA):
        assert re.fullmatch(r"[0-9a-f]{40}", jar["sha1"]) and re.fullmatch(r"[0-9a-f]{64}", jar["sha256"]), jar
        assert jar["size"] > 0 and jar["sha256_from"] in ("maven", "computed")
    for release in DATA["releases"]:
        assert re.fullmatch(r"[0-9a-f]{64}", release["sdist_sha256"])
        assert release["sdist_path"].endswith(f"/pyspark-{release['version']}.tar.gz")


def test_releases_are_sorted_and_unique():
    versions = [r["version"] for r in DATA["releases"]]
    assert versions == sorted(set(versions), key=uv.version_key)


def test_every_line_has_its_lock_files_and_no_lock_lacks_a_line():
    ins = {p.name.removeprefix("jupyter-").removesuffix(".in") for p in (ROOT / "requirements").glob("jupyter-*.in")}
    assert ins == set(DATA["lines"]), "requirements/jupyter-LINE.in for each line of pipeline/versions.json"
    for line in DATA["lines"]:
        lock = (ROOT / f"requirements/jupyter-{line}.txt").read_text()
        pins = (ROOT / f"requirements/jupyter-{line}.in").read_text()
        # the labels' JupyterLab version is the one pinned and locked
        assert f"jupyterlab=={product.JUPYTERLAB_VERSION}\n" in pins
        assert f"jupyterlab=={product.JUPYTERLAB_VERSION} " in lock
        # pyspark comes from the release's sdist (/opt/spark/python), never a second copy from the lock
        assert not re.search(r"^pyspark(-connect|-client)?==", lock + pins, re.M)


# --- the updater's pure parts, on samples ------------------------------------------------------

BLAKE = "805a3806f44eb47387e8af803508cdd6bbc0df784febf4dc010700be04a1ff89"


def sdist_file(version: str, blake: str = BLAKE, url_base: str = "https://files.pythonhosted.org/packages", **kw):
    name = f"pyspark-{version}.tar.gz"
    path = f"{blake[:2]}/{blake[2:4]}/{blake[4:]}/{name}"
    return {
        "packagetype": "sdist",
        "filename": name,
        "url": f"{url_base}/{path}",
        "digests": {"blake2b_256": blake, "sha256": hashlib.sha256(version.encode()).hexdigest()},
        "yanked": False,
    } | kw


PYPI = {
    "releases": {
        "3.5.7": [sdist_file("3.5.7")],
        "3.5.8": [sdist_file("3.5.8", url_base="../../packages/packages")],  # a mirror's relative URL
        "3.5.9": [sdist_file("3.5.9")],
        "3.5.10": [sdist_file("3.5.10", yanked=True)],
        "4.1.0": [sdist_file("4.1.0")],
        "4.1.1": [{"packagetype": "bdist_wheel"}],  # no sdist
        "4.2.0.dev1": [sdist_file("4.2.0.dev1")],
    }
}


def test_sdist_path_is_pypis_storage_path_whatever_the_host():
    path, sha = uv.sdist(PYPI, "3.5.8")
    assert path == f"80/5a/{BLAKE[4:]}/pyspark-3.5.8.tar.gz" and sha == hashlib.sha256(b"3.5.8").hexdigest()
    bad = {"releases": {"3.5.7": [sdist_file("3.5.7") | {"url": "https://x/other.tar.gz"}]}}
    with pytest.raises(ValueError, match="does not end with its storage path"):
        uv.sdist(bad, "3.5.7")


def test_final_releases_skip_dev_yanked_and_wheel_only_ones():
    assert uv.final_releases(PYPI) == ["3.5.7", "3.5.8", "3.5.9", "4.1.0"]
    assert uv.newest_patch(uv.final_releases(PYPI), "3.5") == "3.5.9"
    assert uv.newest_patch(["3.5.9", "3.5.10"], "3.5") == "3.5.10"  # numeric, not text order
    assert uv.newest_patch(["3.5.9"], "4.2") is None


METADATA = """<?xml version="1.0" encoding="UTF-8"?>
<metadata><groupId>org.apache.spark</groupId><artifactId>spark-connect_2.12</artifactId>
<versioning><latest>3.5.7</latest><release>3.5.7</release>
<versions><version>3.4.0</version><version>3.5.5</version><version>3.5.7</version></versions>
</versioning></metadata>"""


def test_maven_metadata_versions_and_the_connect_jar_of_a_release():
    served = uv.maven_versions(METADATA)
    assert served == ["3.4.0", "3.5.5", "3.5.7"]
    assert uv.connect_version("3.5.7", served) == ("3.5.7", "")
    version, why = uv.connect_version("3.5.8", served)
    assert version == "3.5.7" and "Maven serves no 3.5.8" in why
    with pytest.raises(LookupError):
        uv.connect_version("3.6.0", served)


def test_rapids_shims_of_a_line_from_the_jar_listing():
    names = ["spark350/", "spark355/x.class", "spark350db143/", "spark411/", "spark3510/", "com/"]
    assert uv.shims_of(names, "3.5") == ["3.5.0", "3.5.5"]
    assert uv.shims_of(names, "4.1") == ["4.1.1"]


def jar_bytes(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in names:
            z.writestr(n, "")
    return buf.getvalue()


class FakeFetcher:
    """Maven as a dict of path -> bytes; .sha1 files are derived unless given."""

    def __init__(self, files: dict[str, bytes], extra: dict[str, str | None] | None = None):
        self.files, self.extra, self.downloads = files, extra or {}, []

    def text(self, url: str) -> str | None:
        if url in self.extra:
            return self.extra[url]
        if url.endswith("/maven-metadata.xml"):
            return METADATA
        if url.endswith(".sha1") and url[:-5] in self.files:
            return hashlib.sha1(self.files[url[:-5]]).hexdigest() + "  x.jar\n"
        return None

    def download(self, url: str, list_entries: bool):
        self.downloads.append(url.rsplit("/", 1)[1])
        body = self.files[url]
        h = [hashlib.sha1(body), hashlib.sha256(body), hashlib.sha512(body)]
        names = zipfile.ZipFile(io.BytesIO(body)).namelist() if list_entries else []
        return uv.Download(*(d.hexdigest() for d in h), len(body), names)


def sample() -> tuple[dict, dict[str, bytes]]:
    repo = releases.MAVEN_CENTRAL
    files = {
        f"{repo}/g/ice/1.0/ice-1.0.jar": b"iceberg",
        f"{repo}/g/rapids/2.0/rapids-2.0.jar": jar_bytes("spark350/", "spark357/", "spark411/"),
        f"{repo}/g/rapids/2.0/rapids-2.0-arm64.jar": jar_bytes("spark350/", "spark357/", "aarch64/"),
        f"{repo}/org/apache/spark/spark-connect_2.12/3.5.7/spark-connect_2.12-3.5.7.jar": b"connect",
    }
    data = {
        "lines": {
            "3.5": {
                "scala": "2.12",
                "java": "17",
                "variants": ["baseline", "gpu"],
                "connect": {"group": "org.apache.spark", "artifact": "spark-connect_2.12"},
                "iceberg": {"group": "g", "artifact": "ice", "version": "1.0", "sha1": "", "sha256": "", "size": 0},
                "rapids": {
                    "group": "g",
                    "artifact": "rapids",
                    "version": "2.0",
                    "shims": [],
                    "explain_needs_gpu": False,
                    "jars": {
                        "linux/amd64": {"classifier": "", "sha1": "", "sha256": "", "size": 0},
                        "linux/arm64": {"classifier": "arm64", "sha1": "", "sha256": "", "size": 0},
                    },
                },
            }
        },
        "releases": [{"version": "3.5.7", "sdist_path": "", "sdist_sha256": "", "connect": None}],
    }
    return data, files


def test_update_adds_the_newest_patch_fills_checksums_and_records_a_connect_stand_in():
    data, files = sample()
    fetch = FakeFetcher(files)
    updater = uv.Updater(fetch, log=lambda _: None)
    new = updater.update(data, PYPI)
    assert [r["version"] for r in new["releases"]] == ["3.5.7", "3.5.9"]  # 3.5.8 was never listed: not added
    r357, r359 = new["releases"]
    assert r357["sdist_path"] == f"80/5a/{BLAKE[4:]}/pyspark-3.5.7.tar.gz"
    assert r357["connect"]["version"] == "3.5.7" and "stand_in" not in r357["connect"]
    assert r359["connect"]["version"] == "3.5.7" and "Maven serves no 3.5.9" in r359["connect"]["stand_in"]
    assert r357["connect"]["sha256"] == hashlib.sha256(b"connect").hexdigest()
    rapids = new["lines"]["3.5"]["rapids"]
    assert rapids["shims"] == ["3.5.0", "3.5.7"] and "sha1" not in rapids
    amd64, arm64 = rapids["jars"]["linux/amd64"], rapids["jars"]["linux/arm64"]
    assert amd64["sha256_from"] == arm64["sha256_from"] == "computed" and arm64["classifier"] == "arm64"
    arm64_jar = files[f"{releases.MAVEN_CENTRAL}/g/rapids/2.0/rapids-2.0-arm64.jar"]
    assert arm64["sha256"] == hashlib.sha256(arm64_jar).hexdigest()
    assert any("added 3.5.9" in n for n in updater.notes)
    releases.parse_versions(new)  # the matrix reads what the updater writes
    downloads = ["ice-1.0.jar", "rapids-2.0-arm64.jar", "rapids-2.0.jar", "spark-connect_2.12-3.5.7.jar"]
    assert sorted(fetch.downloads) == downloads  # once each

    # a second run with nothing changed upstream downloads nothing and changes nothing
    again = uv.Updater(FakeFetcher(files), log=lambda _: None)
    assert again.update(new, PYPI) == new and again.fetch.downloads == []
    # a new release reuses the record of a stand-in jar refreshed earlier in the run: no download
    pypi = {"releases": PYPI["releases"] | {"3.5.11": [sdist_file("3.5.11")]}}
    third = uv.Updater(FakeFetcher(files), log=lambda _: None)
    added = third.update(new, pypi)["releases"][-1]
    assert added["version"] == "3.5.11" and added["connect"]["sha256"] == r359["connect"]["sha256"]
    assert third.fetch.downloads == []


def test_rapids_jars_of_one_release_that_ship_different_shims_are_refused():
    data, files = sample()
    files[f"{releases.MAVEN_CENTRAL}/g/rapids/2.0/rapids-2.0-arm64.jar"] = jar_bytes("spark350/")
    with pytest.raises(ValueError, match=r"RAPIDS 2.0: the platforms' jars ship different shims"):
        uv.Updater(FakeFetcher(files), log=lambda _: None).update(data, PYPI)


def test_keep_releases_adds_nothing_but_says_what_is_newer():
    data, files = sample()
    updater = uv.Updater(FakeFetcher(files), log=lambda _: None)
    new = updater.update(data, PYPI, add=False)
    assert [r["version"] for r in new["releases"]] == ["3.5.7"]
    assert any("3.5.9 is on PyPI, not added" in n for n in updater.notes)


def test_a_download_that_does_not_match_mavens_checksums_is_refused():
    data, files = sample()
    ice = f"{releases.MAVEN_CENTRAL}/g/ice/1.0/ice-1.0.jar"
    with pytest.raises(ValueError, match="SHA-1 .* is not Maven's"):
        uv.Updater(FakeFetcher(files, {ice + ".sha1": "0" * 40}), log=lambda _: None).update(data, PYPI)
    with pytest.raises(ValueError, match="sha256 .* is not Maven's"):
        uv.Updater(FakeFetcher(files, {ice + ".sha256": "0" * 64}), log=lambda _: None).update(data, PYPI)
    published = {ice + ".sha256": hashlib.sha256(b"iceberg").hexdigest()}
    new = uv.Updater(FakeFetcher(files, published), log=lambda _: None).update(data, PYPI, add=False)
    assert new["lines"]["3.5"]["iceberg"]["sha256_from"] == "maven"


def test_the_data_file_round_trips_through_json():
    assert json.loads(releases.dump_versions(DATA)) == DATA


def test_a_line_may_only_name_declared_variants():
    data = json.loads(json.dumps(DATA))
    data["lines"]["4.1"]["variants"].append("cuda")
    with pytest.raises(ValueError, match=r"Spark 4.1: unknown variants \['cuda'\]"):
        releases.parse_versions(data)


# --- the images' direct Python pins (pipeline/python_deps.py) --------------------------------------


def test_every_pin_parses_and_a_label_names_the_version_every_line_pins():
    for line in python_deps.lines():
        assert python_deps.line_pins(line), f"requirements/jupyter-{line}.in pins nothing"
    assert {
        p.version for line in python_deps.lines() for p in python_deps.line_pins(line) if p.name == "jupyterlab"
    } == {product.JUPYTERLAB_VERSION}


@pytest.mark.parametrize(("policy", "moves_to"), [("minor", "4.6.6"), ("patch", "4.4.12"), ("hold", "4.4.10")])
def test_a_pin_moves_as_far_as_its_policy_allows_and_never_back(policy, moves_to):
    pin = python_deps.Pin("jupyterlab", "4.4.10", policy)
    assert python_deps.choose(pin, ["4.4.9", "4.4.12", "4.5.0", "4.6.6", "5.0.1", "4.7.0rc1"]) == moves_to
    assert python_deps.choose(pin, ["4.4.9"]) == "4.4.10"


def test_pins_refuse_what_is_not_a_pin_and_an_unknown_policy():
    assert python_deps.pins("# c\nfoo==1.2  # updates: patch\nBar==3\n") == [
        python_deps.Pin("foo", "1.2", "patch"),
        python_deps.Pin("bar", "3", "minor"),
    ]
    with pytest.raises(ValueError, match=r"x.in:1: 'foo>=1' is not `name==version`"):
        python_deps.pins("foo>=1\n", "x.in")
    with pytest.raises(ValueError, match="`# updates: major`: valid are minor, patch, hold"):
        python_deps.pins("foo==1  # updates: major\n")


def test_repinning_changes_only_the_versions():
    text = "# why\nfoo==1.2  # updates: patch\nbar==3\n"
    assert python_deps.repinned(text, {"foo": "1.2.9"}) == "# why\nfoo==1.2.9  # updates: patch\nbar==3\n"


def pypi_project(releases: dict[str, list[dict]]) -> str:
    return json.dumps({"releases": releases})


def test_the_updater_moves_python_pins_by_policy_to_releases_that_install_on_the_images_python(tmp_path, monkeypatch):
    monkeypatch.setattr(python_deps, "REQUIREMENTS", tmp_path)
    (tmp_path / "jupyter-3.5.in").write_text("lab==4.4.10\nnp==1.26.4  # updates: patch\n")
    (tmp_path / "jupyter-4.1.in").write_text("lab==4.4.10\n")
    files = {"requires_python": ">=3.10"}
    lab = {"4.4.10": [files], "4.6.6": [files], "4.7.0": [files | {"yanked": True}], "5.0.0": [files]}
    numpy = {"1.26.4": [files], "2.3.5": [files], "2.5.0": [{"requires_python": ">=3.12"}]}
    fetch = FakeFetcher({}, {uv.PYPI_PROJECT.format(name="lab"): pypi_project(lab),
                             uv.PYPI_PROJECT.format(name="np"): pypi_project(numpy)})  # fmt: skip
    updater = uv.Updater(fetch, log=lambda m: None)
    moves, newest = updater.python_pins("3.11")
    assert moves == {"3.5": {"lab": "4.6.6"}, "4.1": {"lab": "4.6.6"}}
    assert newest == {"lab": "5.0.0", "np": "2.3.5"}  # 2.5.0 needs Python 3.12, 4.7.0 is yanked
    assert "Spark 3.5: np 1.26.4 kept (# updates: patch); newest 2.3.5" in updater.notes
    kept = uv.Updater(fetch, log=lambda m: None)
    assert kept.python_pins("3.11", move=False)[0] == {}
    assert "Spark 4.1: lab 4.4.10 kept (--keep-python); newest 5.0.0" in kept.notes


def test_the_report_lists_the_pins_behind_their_newest_release_with_their_policy():
    results = [ImageResult("jupyter-3.5.7"), ImageResult("jupyter-4.1.1-gpu")]
    newest = {"checked": "2026-12-05", "python": "3.11", "newest": {"jupyterlab": "99.0", "pandas": "2.2.3"}}
    section = "\n".join(report.python_behind(results, newest))
    assert "(PyPI on 2026-12-05, Python 3.11)" in section
    for line in ("3.5", "4.1"):
        assert (
            f"- Spark {line} images (requirements/jupyter-{line}.in): jupyterlab {product.JUPYTERLAB_VERSION} "
            in section
        )
        assert "(newest 99.0; updates: minor)" in section
    assert "pandas 2.2.3" not in section  # current where it is pinned at the newest
    assert report.python_behind(results, {}) == []  # never updated: nothing claimed
