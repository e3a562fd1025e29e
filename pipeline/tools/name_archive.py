"""Name the image in an OCI archive, so that `docker load` (its manifest.json: RepoTags) and
`podman load` / skopeo (index.json: the ref.name annotations) load it as NAME:TAG. Only those two
files change: the image's manifest, config and layers are copied byte for byte.

usage: name_archive.py IN.tar OUT.tar NAME:TAG [NAME:TAG ...]
"""

import io
import json
import sys
import tarfile

source, target, *tags = sys.argv[1:]
with tarfile.open(source) as archive_in, tarfile.open(target, "w") as archive_out:
    for member in archive_in:
        data = archive_in.extractfile(member) if member.isfile() else None
        if member.name == "manifest.json":
            manifests = json.load(data)
            if len(manifests) != 1:
                sys.exit(f"expected one image in {source}, found {len(manifests)}")
            manifests[0]["RepoTags"] = tags
            data = io.BytesIO(json.dumps(manifests).encode())
        elif member.name == "index.json":
            index = json.load(data)
            if len(index["manifests"]) != 1:
                sys.exit(f"expected one manifest in {source}'s index, found {len(index['manifests'])}")
            descriptor = index["manifests"][0]
            name, _, tag = tags[0].rpartition(":")
            annotations = {"io.containerd.image.name": tags[0], "org.opencontainers.image.ref.name": tag}
            descriptor["annotations"] = descriptor.get("annotations", {}) | annotations
            data = io.BytesIO(json.dumps(index).encode())
        if data is not None and member.name in ("manifest.json", "index.json"):
            member.size = len(data.getvalue())
        archive_out.addfile(member, data)
