"""Image archives for `docker load` (Docker 20.10 and later), `podman load` and skopeo: one or many
images in one tar, each blob stored once, each image named NAME:TAG in both indexes those tools read
(manifest.json's RepoTags; index.json's io.containerd.image.name and org.opencontainers.image.ref.name).
The images' manifests, configs and layers are copied byte for byte from the archives given.

Standard library only: it runs in the engine (in the image's own Python) and on the host.

usage:
  oci_archive.py digest ARCHIVE          the manifest digest of the archive's one image
  oci_archive.py tags ARCHIVE            {"NAME:TAG": "sha256:...", ...} of the archive, as JSON
  oci_archive.py write OUT.tar PLAN      OUT.tar from PLAN, a JSON list of
                                         {"archive": PATH, "digest": "sha256:...", "tags": ["NAME:TAG", ...]}
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tarfile
import time

NAME_KEYS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")


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
        """The image with manifest digest `wanted` from the archive `source`, named by `tags` (NAME:TAG)."""
        descriptor = next((m for m in read_json(source, "index.json")["manifests"] if m["digest"] == wanted), None)
        if descriptor is None:
            sys.exit(f"{source.name} holds no image with manifest {wanted}")
        manifest = read_json(source, blob(wanted))
        config, layers = manifest["config"]["digest"], [layer["digest"] for layer in manifest["layers"]]
        for needed in (wanted, config, *layers):
            if needed not in self.written:
                member = source.getmember(blob(needed))
                self.out.addfile(member, source.extractfile(member))
                self.written.add(needed)
        plain = {k: v for k, v in descriptor.items() if k != "annotations"}
        self.index += [plain | {"annotations": dict.fromkeys(NAME_KEYS, tag)} for tag in tags]
        self.docker.append({"Config": blob(config), "RepoTags": tags, "Layers": [blob(d) for d in layers]})

    def finish(self) -> None:
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": self.index}
        _add(self.out, "index.json", json.dumps(index).encode())
        _add(self.out, "manifest.json", json.dumps(self.docker).encode())


def write(target: str, plan: list[dict]) -> None:
    with contextlib.ExitStack() as stack:
        writer = Writer(stack.enter_context(tarfile.open(target, "w")))
        for entry in plan:
            writer.add(stack.enter_context(tarfile.open(entry["archive"])), entry["digest"], entry["tags"])
        writer.finish()


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "digest":
        print(digest(*args))
    elif command == "tags":
        print(json.dumps(tags(*args)))
    elif command == "write":
        write(args[0], json.loads(args[1]))
    else:
        sys.exit(__doc__)
