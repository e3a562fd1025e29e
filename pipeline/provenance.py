"""Provenance: for each image that ships, an in-toto Statement (v1) with a SLSA Provenance v1 predicate,
stating what made it: the module's source (the digest of what images are made from:
rendering.image_inputs), the Dagger engine, the base image's digest, Debian's archive as the build
saw it (each suite's package list digest) and every download with its checksum (the pyspark sdist, the
jars, the locked wheels). Written into build-all's provenance/ as NAME.intoto.json."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from . import assembly, catalog, jupyter_layer, recipe, releases, stages

STATEMENT = "https://in-toto.io/Statement/v1"
PREDICATE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = f"{assembly.SOURCE}/build-all/v1"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)")
HASH = re.compile(r"--hash=sha256:(?P<hex>[0-9a-f]{64})")


@dataclass(frozen=True)
class MadeBy:
    """What the run's images share: the inputs' digest, the engine, the base image, Debian's archive."""

    source: str  # sha256:... of rendering.image_inputs
    engine: str  # the engine's version
    base: str  # the base image's reference with its digest
    archive: dict[str, str]  # platform -> Debian's package lists (orchestrate.archive_state)


def locked(path: str) -> list[dict]:
    """Each pin of a lock file (requirements/*.txt) as a package URL with the files it may install: a
    pin lists every file of its release (each platform's wheel); the one a build took is among them."""
    out, current = [], None
    for line in (recipe.ROOT / path).read_text().splitlines():
        if pin := PIN.match(line):
            current = {"uri": f"pkg:pypi/{pin['name'].lower()}@{pin['version']}", "annotations": {"sha256": []}}
            out.append(current)
        if current is not None:
            current["annotations"]["sha256"] += HASH.findall(line)
    return out


def _file(path: str) -> dict:
    """A file of the source as a resolved dependency, with its digest."""
    digest = hashlib.sha256((recipe.ROOT / path).read_bytes()).hexdigest()
    return {"name": path, "digest": {"sha256": digest}}


def _jar(jar: releases.MavenJar, opts: recipe.BuildOptions) -> dict:
    return {"uri": f"{opts.maven_repo}/{jar.path()}", "digest": {"sha256": jar.sha256, "sha1": jar.sha1}}


def dependencies(image: catalog.Image, platforms: list[str], opts: recipe.BuildOptions) -> list[dict]:
    """Every download the image's platforms are made from, with its checksum, and the lock files."""
    release = image.spark
    deps = [{"uri": f"{opts.pypi_files}/{release.sdist_path}", "digest": {"sha256": release.sdist_sha256}}]
    jars = [release.connect_jar] if release.connect_jar else []
    jars += [jar for platform in platforms for jar in catalog.added_jars(image, platform)]
    deps += [_jar(jar, opts) for jar in dict.fromkeys(jars)]
    for lock in (jupyter_layer.lock_file(release), stages.BUILD_TOOLS_LOCK):
        deps += [_file(lock), *locked(lock)]
    return deps


def statement(image: catalog.Image, digest: str, platforms: list[str], run: MadeBy, opts: recipe.BuildOptions) -> dict:
    """The provenance of one image, shipped as `digest` (its manifest, or its index of `platforms`)."""
    algorithm, _, value = digest.partition(":")
    return {
        "_type": STATEMENT,
        "subject": [{"name": image.name, "digest": {algorithm: value}}],
        "predicateType": PREDICATE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "spark_version": image.spark.version,
                    "variant": image.variant,
                    "platforms": platforms,
                    "revision": opts.revision,
                    "mirrors": {k: v for k, v in opts.values().items() if k != "REVISION" and v},
                },
                "resolvedDependencies": [
                    {"uri": assembly.SOURCE, "digest": {"sha256": run.source.partition(":")[2]}, "name": "source"},
                    {"uri": f"docker-image://{run.base}", "name": "base image"},
                    *[
                        {"uri": f"debian-archive:{platform}", "annotations": {"package-lists": run.archive[platform]}}
                        for platform in platforms
                        if run.archive.get(platform)
                    ],
                    *dependencies(image, platforms, opts),
                ],
            },
            "runDetails": {"builder": {"id": f"https://dagger.io/engine/{run.engine}"}},
        },
    }


def document(image: catalog.Image, digest: str, platforms: list[str], run: MadeBy, opts: recipe.BuildOptions) -> str:
    return json.dumps(statement(image, digest, platforms, run, opts), indent=2) + "\n"
