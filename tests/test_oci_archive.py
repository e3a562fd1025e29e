"""Archives on the host (pure logic on small synthetic OCI archives): names, each blob once, byte-for-byte
images, and build-all's rule of never rewriting an archive whose content is unchanged."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from pipeline.archives import Archives, held
from pipeline.shipping import COMBINED, image_tags
from pipeline.publish import NotChecked
from pipeline.tools import oci_archive


TAR, GZIP = "application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def blob_of(data: bytes) -> tuple[str, bytes]:
    return "sha256:" + hashlib.sha256(data).hexdigest(), data


def image_blobs(layers: list[bytes], arch: str = "amd64", media_type: str = TAR) -> list[tuple[str, bytes]]:
    """One platform's layers, config and manifest (last), as the engine writes them."""
    blobs = dict(blob_of(layer) for layer in layers)
    config = blob_of(json.dumps({"architecture": arch, "os": "linux", "rootfs": {"diff_ids": list(blobs)}}).encode())
    manifest = blob_of(
        json.dumps(
            {
                "schemaVersion": 2,
                "config": {"digest": config[0], "size": len(config[1])},
                "layers": [{"mediaType": media_type, "digest": d, "size": len(b)} for d, b in blobs.items()],
            }
        ).encode()
    )
    return [*blobs.items(), config, manifest]


def write_archive(path: Path, blobs: list[tuple[str, bytes]], top: dict) -> None:
    index = {"schemaVersion": 2, "manifests": [top]}
    with tarfile.open(path, "w") as tar:
        for name, data in [
            *((oci_archive.blob(d), b) for d, b in blobs),
            ("index.json", json.dumps(index).encode()),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def image_archive(path: Path, layers: list[bytes], media_type: str = TAR, arch: str = "amd64") -> str:
    """An unnamed one-image OCI archive as the engine writes one; returns its manifest digest."""
    blobs = image_blobs(layers, arch, media_type)
    manifest = blobs[-1]
    write_archive(path, blobs, {"mediaType": MANIFEST, "digest": manifest[0], "size": len(manifest[1])})
    return manifest[0]


def multi_platform_archive(path: Path, layers: dict[str, list[bytes]]) -> tuple[str, dict[str, str]]:
    """A multi-platform image's archive as the engine writes one: its index digest, platform -> manifest."""
    blobs, listed = [], []
    for arch, own in layers.items():
        blobs += image_blobs(own, arch)
        digest, data = blobs[-1]
        listed.append({"digest": digest, "size": len(data), "platform": {"architecture": arch, "os": "linux"}})
    index = blob_of(json.dumps({"schemaVersion": 2, "mediaType": oci_archive.INDEX, "manifests": listed}).encode())
    write_archive(path, [*blobs, index], {"mediaType": oci_archive.INDEX, "digest": index[0], "size": len(index[1])})
    return index[0], {f"linux/{m['platform']['architecture']}": m["digest"] for m in listed}


def members(path: Path) -> list[str]:
    with tarfile.open(path) as tar:
        return tar.getnames()


def read(path: Path, name: str) -> bytes:
    with tarfile.open(path) as tar:
        return tar.extractfile(name).read()


SHARED, OWN_A, OWN_B = b"spark and jupyter" * 1000, b"baseline", b"iceberg jars" * 100


@pytest.fixture
def two_images(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    a, b = tmp_path / "a.tar", tmp_path / "b.tar"
    return {
        "jupyter-4.1.1": (a, image_archive(a, [SHARED, OWN_A])),
        "jupyter-4.1.1-iceberg": (b, image_archive(b, [SHARED, OWN_B])),
    }


def test_a_combined_archive_stores_each_blob_once_names_each_image_and_keeps_its_bytes(tmp_path, two_images):
    out = tmp_path / "all.tar"
    plan = [
        {"archive": str(p), "platforms": {"linux/amd64": d}, "tags": image_tags(n, "r1")}
        for n, (p, d) in two_images.items()
    ]
    oci_archive.write(str(out), plan)

    names = members(out)
    assert len(names) == len(set(names)) == 3 + 3 + 2 + 2  # 3 layers, 2 configs, 2 manifests, 3 index files
    assert held(out) == {t: d for n, (_, d) in two_images.items() for t in image_tags(n, "r1")}
    docker = json.loads(read(out, "manifest.json"))
    assert [m["RepoTags"] for m in docker] == [image_tags(n, "r1") for n in two_images]
    for _, (source, digest) in two_images.items():  # each image's manifest, config and layers byte for byte
        manifest = json.loads(read(source, oci_archive.blob(digest)))
        for d in [digest, manifest["config"]["digest"], *(layer["digest"] for layer in manifest["layers"])]:
            assert read(out, oci_archive.blob(d)) == read(source, oci_archive.blob(d))


def test_a_digest_the_archive_does_not_hold_is_refused(tmp_path, two_images):
    source, _ = two_images["jupyter-4.1.1"]
    with pytest.raises(SystemExit, match="not the checked .*sha256:00"):
        oci_archive.write(
            str(tmp_path / "x.tar"),
            [{"archive": str(source), "platforms": {"linux/amd64": "sha256:" + "0" * 64}, "tags": []}],
        )


def test_a_multi_platform_image_keeps_its_index_and_every_platform_and_loads_natively_in_docker(tmp_path):
    source = tmp_path / "mp.tar"
    index, checked = multi_platform_archive(source, {"amd64": [SHARED, OWN_A], "arm64": [b"arm", OWN_A]})
    out = tmp_path / "out.tar"
    oci_archive.write(str(out), [{"archive": str(source), "platforms": checked, "tags": ["jupyter-4.1.1:latest"]}])

    assert held(out) == {"jupyter-4.1.1:latest": index}
    assert oci_archive.platforms(str(out)) == checked
    assert read(out, oci_archive.blob(index)) == read(source, oci_archive.blob(index))
    amd64 = json.loads(read(out, oci_archive.blob(checked["linux/amd64"])))
    [docker] = json.loads(read(out, "manifest.json"))  # Docker's classic store: the native platform
    assert docker["Config"] == oci_archive.blob(amd64["config"]["digest"])
    names = members(out)
    assert (
        len(names) == len(set(names)) == 3 + 2 + 2 + 1 + 3
    )  # layers (SHARED, OWN_A, arm), configs, manifests, the index, 3 index files

    with pytest.raises(SystemExit, match="not the checked"):  # a platform missing or different: nothing written
        oci_archive.write(
            str(tmp_path / "x.tar"), [{"archive": str(source), "platforms": dict([*checked.items()][:1]), "tags": []}]
        )


def stage(archives: Archives, name: str, source: Path, digest: str, rev: str) -> None:
    """What the runner's fetch does: the engine's archive of the image (unnamed) exported, then staged."""
    shutil.copyfile(source, archives.unnamed(name))
    archives.stage(name, digest, {"linux/amd64": digest}, image_tags(name, rev))


def run(folder: Path, kind: str, images: dict[str, tuple[Path, str]], rev: str = "r1") -> tuple[Archives, list[str]]:
    """One build-all's archive steps, as the runner takes them; returns which images had to be fetched."""
    archives, fetched = Archives(folder, kind), []
    for name, (source, digest) in images.items():
        if archives.needs(name, digest, image_tags(name, rev)):
            stage(archives, name, source, digest, rev)
            fetched.append(name)
        archives.take(name, digest, image_tags(name, rev))
    archives.finish()
    archives.discard()
    return archives, fetched


def test_one_platform_archives_join_into_an_index_that_lists_them_byte_for_byte(tmp_path):
    amd64, arm64, joined = tmp_path / "amd64.tar", tmp_path / "arm64.tar", tmp_path / "joined.tar"
    checked = {
        "linux/amd64": image_archive(amd64, [SHARED, OWN_A]),
        "linux/arm64": image_archive(arm64, [b"arm"], arch="arm64"),
    }
    oci_archive.join(str(joined), str(amd64), str(arm64))

    assert oci_archive.platforms(str(joined)) == checked  # the platforms' manifests as checked, in that order
    for source in (amd64, arm64):
        for name in members(source):
            if name.startswith("blobs/"):
                assert read(joined, name) == read(source, name), name
    index = oci_archive.digest(str(joined))
    assert index == "sha256:" + hashlib.sha256(read(joined, oci_archive.blob(index))).hexdigest()
    with pytest.raises(SystemExit, match="join takes one platform per archive"):
        oci_archive.join(str(tmp_path / "again.tar"), str(joined), str(amd64))


def test_build_all_writes_the_combined_archive_once_and_leaves_it_alone_when_nothing_changed(tmp_path, two_images):
    folder = tmp_path / "images"
    _, fetched = run(folder, "combined", two_images)
    assert fetched == list(two_images) and sorted(p.name for p in folder.iterdir()) == [COMBINED]
    assert oct((folder / COMBINED).stat().st_mode & 0o777) == "0o644"
    before = (folder / COMBINED).stat()

    archives, fetched = run(folder, "combined", two_images)
    assert fetched == [] and "unchanged" in archives.said
    assert (folder / COMBINED).stat().st_mtime_ns == before.st_mtime_ns


def test_a_changed_image_is_fetched_alone_and_the_others_come_from_the_old_archive(tmp_path, two_images):
    folder = tmp_path / "images"
    run(folder, "combined", two_images)
    changed = tmp_path / "changed.tar"
    images = two_images | {"jupyter-4.1.1-iceberg": (changed, image_archive(changed, [SHARED, b"new"]))}
    archives, fetched = run(folder, "combined", images)
    assert fetched == ["jupyter-4.1.1-iceberg"] and "written" in archives.said
    assert held(folder / COMBINED) == {t: d for n, (_, d) in images.items() for t in image_tags(n, "r1")}
    assert not list(folder.glob(".*"))


def test_an_image_that_fails_now_leaves_the_archives(tmp_path, two_images):
    folder = tmp_path / "images"
    run(folder, "both", two_images)
    archives = Archives(folder, "both")
    archives.failed("jupyter-4.1.1-iceberg")
    name, (_, digest) = "jupyter-4.1.1", two_images["jupyter-4.1.1"]
    assert not archives.needs(name, digest, image_tags(name, "r1"))
    archives.take(name, digest, image_tags(name, "r1"))
    archives.finish()
    assert sorted(p.name for p in folder.iterdir()) == sorted([COMBINED, "jupyter-4.1.1.tar"])
    assert set(held(folder / COMBINED)) == set(image_tags(name, "r1"))


def test_per_image_archives_load_by_name_and_no_stale_combined_archive_stays(tmp_path, two_images):
    folder = tmp_path / "images"
    run(folder, "combined", two_images)
    _, fetched = run(folder, "per-image", two_images, rev="r2")
    assert fetched == list(two_images)
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.tar" for n in two_images)
    for name, (_, digest) in two_images.items():
        assert held(folder / f"{name}.tar") == dict.fromkeys(image_tags(name, "r2"), digest)


def test_a_partial_file_left_by_a_killed_run_is_removed(tmp_path, two_images):
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / f".{COMBINED}.partial").write_bytes(b"half")
    run(folder, "combined", two_images)
    assert sorted(p.name for p in folder.iterdir()) == [COMBINED]


def test_size_is_the_layers_uncompressed_read_from_the_archive(tmp_path):
    """The size check's number: each gzip layer inflated and counted (a stream of several gzip members
    too), from the same archive as the digest; a layer stored uncompressed counts as stored."""
    zeros, noise = bytes(40_000_000), hashlib.sha512(b"x").digest() * 10_000  # 40 MB and 640 kB
    members = gzip.compress(noise[:100_000]) + gzip.compress(noise[100_000:])
    image_archive(tmp_path / "gzip.tar", [gzip.compress(zeros), members], media_type=GZIP)
    assert oci_archive.size(str(tmp_path / "gzip.tar")) == len(zeros) + len(noise)
    image_archive(tmp_path / "plain.tar", [zeros, noise])
    assert oci_archive.size(str(tmp_path / "plain.tar")) == len(zeros) + len(noise)
    image_archive(tmp_path / "zstd.tar", [zeros], media_type=TAR + "+zstd")  # not readable with the standard library
    with pytest.raises(SystemExit, match="cannot size zstd layer"):
        oci_archive.size(str(tmp_path / "zstd.tar"))


def test_layers_are_the_images_layer_digests_base_first(tmp_path):
    first, second = gzip.compress(b"base"), gzip.compress(b"variant")
    image_archive(tmp_path / "image.tar", [first, second], media_type=GZIP)
    digests = [f"sha256:{hashlib.sha256(blob).hexdigest()}" for blob in (first, second)]
    assert oci_archive.layers(str(tmp_path / "image.tar")) == digests


def test_size_keeps_each_layers_size_by_digest_and_reads_it_back(tmp_path):
    """With a memo directory, a layer is inflated once: its size is kept under its digest (whole,
    never a partial file), and a later count of any image with that layer reads it instead."""
    zeros, noise = bytes(4_000_000), hashlib.sha512(b"y").digest() * 1_000
    image_archive(tmp_path / "image.tar", [gzip.compress(zeros), gzip.compress(noise)], media_type=GZIP)
    memo = tmp_path / "memo"
    memo.mkdir()
    assert oci_archive.size(str(tmp_path / "image.tar"), str(memo)) == len(zeros) + len(noise)
    kept = {p.name: int(p.read_text()) for p in memo.iterdir()}
    assert sorted(kept.values()) == sorted([len(noise), len(zeros)])
    assert all(name.startswith("sha256-") for name in kept)
    (memo / min(kept, key=kept.get)).write_text("7")  # read back, not counted again
    assert oci_archive.size(str(tmp_path / "image.tar"), str(memo)) == len(zeros) + 7


def test_an_archive_from_the_engine_without_the_checked_digest_is_refused_and_not_named(tmp_path, two_images):
    folder = tmp_path / "images"
    archives = Archives(folder, "both")
    (source, digest), other = two_images["jupyter-4.1.1"], two_images["jupyter-4.1.1-iceberg"][1]
    shutil.copyfile(source, archives.unnamed("jupyter-4.1.1"))
    tags = image_tags("jupyter-4.1.1", "r1")
    with pytest.raises(NotChecked, match="not the checked"):  # another platform manifest
        archives.stage("jupyter-4.1.1", other, {"linux/amd64": other}, tags)
    with pytest.raises(NotChecked, match=f"holds {digest}, not the checked {other}"):  # another image digest
        archives.stage("jupyter-4.1.1", other, {"linux/amd64": digest}, tags)
    archives.discard()
    assert not list(folder.iterdir())  # nothing under an archive's name, no partial left
