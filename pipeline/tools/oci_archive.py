"""Image archives for `docker load` (Docker 20.10 and later), `podman load` and skopeo: one or many
images in one tar, each blob stored once, each image named NAME:TAG in both indexes those tools read
(manifest.json's RepoTags; index.json's io.containerd.image.name and org.opencontainers.image.ref.name).
The images' indexes, manifests, configs and layers are copied byte for byte from the archives given.

An image is one platform's manifest or a multi-platform index of them. index.json names the index
(OCI tools and Docker's containerd image store pick the platform); manifest.json, which Docker's
classic store reads, can hold one platform per name: the index's first (the native one).

Standard library only: it runs in the engine (in the image's own Python) and on the host.

usage:
  oci_archive.py digest ARCHIVE          the manifest (or multi-platform index) digest of the archive's one image
  oci_archive.py platforms ARCHIVE       {"os/arch": manifest digest} of the archive's one image, as JSON
  oci_archive.py layers ARCHIVE          the layer digests of the archive's one image (one platform), as JSON
  oci_archive.py size ARCHIVE [MEMO]     bytes of the archive's one image's layers, uncompressed; MEMO: a
                                         directory of layer sizes by digest, read and added to
  oci_archive.py tags ARCHIVE            {"NAME:TAG": "sha256:...", ...} of the archive, as JSON
  oci_archive.py join OUT.tar ARCHIVE...  OUT.tar: one multi-platform image, an index of the archives' one-platform
                                         images (in that order), their blobs byte for byte
  oci_archive.py write OUT.tar PLAN      OUT.tar from PLAN, a JSON list of {"archive": PATH, "tags":
                                         ["NAME:TAG", ...], "platforms": {"os/arch": "sha256:..."}}: the
                                         archive's image must hold exactly these platforms' manifests
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
import tarfile
import time
import uuid
import zlib
from pathlib import Path

NAME_KEYS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")
INDEX = "application/vnd.oci.image.index.v1+json"


def blob(digest: str) -> str:
    return "blobs/" + digest.replace(":", "/", 1)


def read_json(tar: tarfile.TarFile, name: str) -> object:
    return json.load(tar.extractfile(name))


def manifests(path: str) -> list[dict]:
    """The image manifest descriptors of an archive's index.json."""
    with tarfile.open(path) as tar:
        return read_json(tar, "index.json")["manifests"]


def digest(path: str) -> str:
    manifests_ = manifests(path)
    if len({m["digest"] for m in manifests_}) != 1:
        sys.exit(f"expected one image in {path}, found {len(manifests_)} manifests")
    return manifests_[0]["digest"]


def top(tar: tarfile.TarFile, path: str) -> dict:
    """The descriptor of the archive's one image in its index.json (a manifest or a multi-platform index)."""
    wanted = digest(path)
    return next(m for m in read_json(tar, "index.json")["manifests"] if m["digest"] == wanted)


def platform_manifests(source: tarfile.TarFile, image: dict) -> dict[str, dict]:
    """ "os/arch" -> manifest descriptor of an image (a multi-platform index, or one manifest: "")."""
    if image.get("mediaType") != INDEX:
        return {"": image}
    nested = read_json(source, blob(image["digest"]))["manifests"]
    return {f"{m['platform']['os']}/{m['platform']['architecture']}": m for m in nested}


def platforms(path: str) -> dict[str, str]:
    with tarfile.open(path) as tar:
        return {p: m["digest"] for p, m in platform_manifests(tar, top(tar, path)).items()}


def verify(path: str, checked: dict[str, str]) -> None:
    """Exit unless the archive's image holds exactly the checked manifests, platform by platform."""
    held = platforms(path)
    same = list(held.values()) == list(checked.values()) if "" in held else held == checked
    if not same:
        sys.exit(f"{path} holds {held}, not the checked {checked}: refusing to ship it")


def layers(path: str) -> list[str]:
    """The layer digests of the archive's one image (one platform), base first."""
    with tarfile.open(path) as tar:
        (one,) = platform_manifests(tar, top(tar, path)).values()
        return [layer["digest"] for layer in read_json(tar, blob(one["digest"]))["layers"]]


def size(path: str, memo: str | None = None) -> int:
    """Bytes of the layers of the archive's one image (one platform), uncompressed: what `docker
    images` reports, near enough. Each gzip layer is decompressed and counted, unless `memo` (a
    directory) has its size: a layer's size is a function of its digest, so a layer that images share
    (the Spark and Jupyter layers of a Spark version's variants) is inflated once, and its size
    written there."""
    with tarfile.open(path) as tar:
        (one,) = platform_manifests(tar, top(tar, path)).values()
        layers = read_json(tar, blob(one["digest"]))["layers"]
        return sum(_layer_size(tar, layer, memo) for layer in layers)


def _layer_size(tar: tarfile.TarFile, layer: dict, memo: str | None) -> int:
    known = Path(memo) / layer["digest"].replace(":", "-") if memo else None
    if known:
        with contextlib.suppress(FileNotFoundError, ValueError):
            return int(known.read_text())
    counted = _uncompressed_size(tar.extractfile(blob(layer["digest"])), layer)
    if known:
        # whole or not at all: renamed when written; a name of its own (sessions on one engine share the volume,
        # and a PID repeats across containers)
        partial = known.with_name(f".{known.name}.{uuid.uuid4().hex}")
        partial.write_text(str(counted))
        partial.replace(known)
    return counted


def _uncompressed_size(stream: io.BufferedIOBase, layer: dict) -> int:
    media_type = layer.get("mediaType", "")
    if not media_type.endswith(("+gzip", ".gzip")):
        if media_type.endswith(("+zstd", ".zstd")):
            sys.exit(f"cannot size zstd layer {layer['digest']}: archive images with gzip layers")
        return layer["size"]
    total, chunk_size, inflate = 0, 1 << 20, zlib.decompressobj(zlib.MAX_WBITS | 16)
    while chunk := stream.read(chunk_size):
        while chunk:
            total += len(inflate.decompress(chunk, 16 * chunk_size))
            if inflate.eof:  # a gzip stream may hold several members
                chunk, inflate = inflate.unused_data, zlib.decompressobj(zlib.MAX_WBITS | 16)
            else:
                chunk = inflate.unconsumed_tail
    return total + len(inflate.flush())


def tags(path: str) -> dict[str, str]:
    named = (m for m in manifests(path) if NAME_KEYS[0] in m.get("annotations", {}))
    return {m["annotations"][NAME_KEYS[0]]: m["digest"] for m in named}


def _add(out: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
    out.addfile(info, io.BytesIO(data))


class Writer:
    """An archive written image by image: blobs as they come (each once), the two indexes at the end."""

    def __init__(self, out: tarfile.TarFile) -> None:
        self.out, self.index, self.docker, self.written = out, [], [], set()
        _add(out, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')

    def add(self, source: tarfile.TarFile, wanted: str, tags: list[str]) -> None:
        """The image with digest `wanted` (a manifest or a multi-platform index) from the archive
        `source`, named by `tags` (NAME:TAG)."""
        descriptor = next((m for m in read_json(source, "index.json")["manifests"] if m["digest"] == wanted), None)
        if descriptor is None:
            sys.exit(f"{source.name} holds no image with manifest {wanted}")
        docker = None
        for platform_manifest in platform_manifests(source, descriptor).values():
            manifest = read_json(source, blob(platform_manifest["digest"]))
            config, layers = manifest["config"]["digest"], [layer["digest"] for layer in manifest["layers"]]
            self._copy(source, platform_manifest["digest"], config, *layers)
            docker = docker or {"Config": blob(config), "RepoTags": tags, "Layers": [blob(d) for d in layers]}
        self._copy(source, wanted)  # an index after the manifests it lists
        plain = {k: v for k, v in descriptor.items() if k != "annotations"}
        self.index += [plain | {"annotations": dict.fromkeys(NAME_KEYS, tag)} for tag in tags]
        self.docker.append(docker)

    def _copy(self, source: tarfile.TarFile, *digests: str) -> None:
        for needed in digests:
            if needed not in self.written:
                member = source.getmember(blob(needed))
                self.out.addfile(member, source.extractfile(member))
                self.written.add(needed)

    def finish(self) -> None:
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": self.index}
        _add(self.out, "index.json", json.dumps(index).encode())
        _add(self.out, "manifest.json", json.dumps(self.docker).encode())


def join(target: str, *archives: str) -> None:
    """One multi-platform image from one-platform archives: their manifests, configs and layers copied
    byte for byte, the index listing them (each with its config's platform) the one new blob. The
    engine's own multi-platform export would write each platform's image again, and its history times
    are its layers' cache records' (an engine restart makes them new): not the checked manifests."""
    with contextlib.ExitStack() as stack:
        writer, listed = Writer(stack.enter_context(tarfile.open(target, "w"))), []
        for path in archives:
            source = stack.enter_context(tarfile.open(path))
            image = top(source, path)
            if image.get("mediaType") == INDEX:
                sys.exit(f"{path} holds a multi-platform image: join takes one platform per archive")
            manifest = read_json(source, blob(image["digest"]))
            config = read_json(source, blob(manifest["config"]["digest"]))
            writer._copy(source, *[layer["digest"] for layer in manifest["layers"]], manifest["config"]["digest"])
            writer._copy(source, image["digest"])
            platform = {"architecture": config["architecture"], "os": config["os"]}
            platform |= {"variant": config["variant"]} if config.get("variant") else {}
            listed.append({key: image[key] for key in ("mediaType", "digest", "size")} | {"platform": platform})
        data = json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": listed}).encode()
        index = "sha256:" + hashlib.sha256(data).hexdigest()
        _add(writer.out, blob(index), data)
        writer.index = [{"mediaType": INDEX, "digest": index, "size": len(data)}]
        writer.finish()


def write(target: str, plan: list[dict]) -> None:
    with contextlib.ExitStack() as stack:
        writer = Writer(stack.enter_context(tarfile.open(target, "w")))
        for entry in plan:
            verify(entry["archive"], entry["platforms"])
            writer.add(stack.enter_context(tarfile.open(entry["archive"])), digest(entry["archive"]), entry["tags"])
        writer.finish()


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "digest":
        print(digest(*args))
    elif command == "platforms":
        print(json.dumps(platforms(*args)))
    elif command == "layers":
        print(json.dumps(layers(*args)))
    elif command == "size":
        print(size(*args))
    elif command == "tags":
        print(json.dumps(tags(*args)))
    elif command == "join":
        join(*args)
    elif command == "write":
        write(args[0], json.loads(args[1]))
    else:
        sys.exit(__doc__)
