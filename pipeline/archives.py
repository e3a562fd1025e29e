"""The archives `python -m pipeline build-all` leaves in OUTPUT/images, as --archives asks:

- combined: jupyter-spark-images.tar, every image that passed, each layer stored once, written
  image by image as their archives come from the engine (at most one image's archive staged);
- per-image: NAME.tar for each image that passed;
- both;
- none: no archive (those of earlier runs are removed: they would not match this run's report).

What comes from the engine is its own archive of the checked image, unnamed: the one file the
image's digest was read from (publish.tarball), so the engine keeps no named copy of it. It is
refused unless it holds exactly the checked digest (and platforms); the names are added here with
pipeline/tools/oci_archive.py (the tool the module runs in the engine), the images byte for byte.

Every file is written under a temporary name (.NAME.partial) and renamed when complete, mode
0644. An archive that already holds an image's checked digest under its names is not fetched or
rewritten: with nothing changed, nothing is written.
"""

from __future__ import annotations

import contextlib
import tarfile
from pathlib import Path

import anyio
import dagger

from .shipping import COMBINED
from .publish import NotChecked
from .tools import oci_archive


def held(path: Path) -> dict[str, str]:
    """NAME:TAG -> manifest digest of the images an archive holds (none if it is missing or unreadable)."""
    try:
        return oci_archive.tags(str(path))
    except (OSError, tarfile.TarError, KeyError, ValueError):
        return {}


class Archives:
    def __init__(self, folder: Path, kind: str) -> None:
        self.folder, self.kind = folder, kind
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(".*.partial"):  # left by a run that was killed
            stale.unlink()
        self.combined = folder / COMBINED
        self.old = held(self.combined) if kind != "per-image" else {}
        self.taken: list[tuple[str, str, list[str]]] = []  # name, digest, tags of each image in the combined archive
        self.stack = contextlib.ExitStack()
        self.writer: oci_archive.Writer | None = None
        self.staged: dict[str, Path] = {}  # name -> the engine's archive of the image, fetched this run
        self.said = ""

    def per_image(self, name: str) -> Path:
        return self.folder / f"{name}.tar"

    def _per_image_holds(self, name: str, digest: str, tags: list[str]) -> bool:
        return held(self.per_image(name)) == dict.fromkeys(tags, digest)

    def _holds(self, tags: list[str], digest: str) -> bool:
        return all(self.old.get(tag) == digest for tag in tags)

    def needs(self, name: str, digest: str, tags: list[str]) -> bool:
        """Whether the image's archive must come from the engine: no archive here holds it under its names."""
        if self.kind == "none":
            return False
        per_image_ok = self._per_image_holds(name, digest, tags)
        if self.kind != "combined" and not per_image_ok:
            return True
        return self.kind != "per-image" and not per_image_ok and not self._holds(tags, digest)

    def unnamed(self, name: str) -> Path:
        return self.folder / f".{name}.unnamed.partial"

    async def fetch(
        self, name: str, file: dagger.File, digest: str, platforms: dict[str, str], tags: list[str]
    ) -> None:
        """The engine's archive of the image (publish.tarball), staged for take(): the file work (reading
        and writing gigabytes) in a thread, so the caller's export limit can end the wait."""
        await file.export(str(self.unnamed(name)))
        await anyio.to_thread.run_sync(self.stage, name, digest, platforms, tags, abandon_on_cancel=True)

    def stage(self, name: str, digest: str, platforms: dict[str, str], tags: list[str]) -> None:
        """The fetched archive checked (exactly the checked digest, and platform manifests); the
        image's own named archive written from it where --archives asks for one."""
        source = str(self.unnamed(name))
        try:
            oci_archive.verify(source, platforms)
        except SystemExit as err:
            raise NotChecked(str(err)) from None
        if (found := oci_archive.digest(source)) != digest:
            raise NotChecked(f"{name}: the engine's archive holds {found}, not the checked {digest}")
        self.staged[name] = self.unnamed(name)
        if self.kind != "combined":
            partial = self.folder / f".{name}.tar.partial"
            oci_archive.write(str(partial), [{"archive": source, "platforms": platforms, "tags": tags}])
            partial.chmod(0o644)
            partial.replace(self.per_image(name))

    def failed(self, name: str) -> None:
        """Never leave an earlier run's archive of an image that fails now."""
        self.per_image(name).unlink(missing_ok=True)

    def take(self, name: str, digest: str, tags: list[str]) -> None:
        """A passed image into the combined archive: as fetched this run, from its per-image
        archive, or from the old combined one."""
        staged = self.staged.pop(name, None)
        if self.kind in ("combined", "both"):
            source = staged or (self.per_image(name) if self._per_image_holds(name, digest, tags) else self.combined)
            if self.writer is not None or not self._holds(tags, digest):  # else written only if something else changes
                with tarfile.open(source) as tar:
                    self._start().add(tar, digest, tags)
            self.taken.append((name, digest, tags))
            if self.kind == "combined":
                self.per_image(name).unlink(missing_ok=True)  # an earlier run's
        if staged is not None:
            staged.unlink()

    def _start(self) -> oci_archive.Writer:
        """The new combined archive, with the images taken so far from the old one."""
        if self.writer is None:
            partial = self.folder / f".{COMBINED}.partial"
            self.writer = oci_archive.Writer(self.stack.enter_context(tarfile.open(partial, "w")))  # noqa: SIM115
            with tarfile.open(self.combined) if self.taken else contextlib.nullcontext() as old:
                for _, digest, tags in self.taken:
                    self.writer.add(old, digest, tags)
        return self.writer

    def finish(self) -> None:
        """Complete the combined archive (or leave it as it is when it holds exactly these images)."""
        if self.kind in ("per-image", "none"):
            self.combined.unlink(missing_ok=True)  # not this run's: it could hold images that fail now
            for earlier in self.folder.glob("*.tar") if self.kind == "none" else ():
                earlier.unlink()
            self.said = "archives: one per passed image" if self.kind == "per-image" else "archives: none asked"
            return
        wanted = {tag: digest for _, digest, tags in self.taken for tag in tags}
        if self.writer is None and wanted == self.old:
            self.said = f"archives: {COMBINED} unchanged ({len(self.taken)} images)"
            return
        if not self.taken:
            self.combined.unlink(missing_ok=True)
            self.said = "archives: none (no image passed)"
            return
        self._start().finish()
        self.stack.close()
        partial = self.folder / f".{COMBINED}.partial"
        partial.chmod(0o644)
        partial.replace(self.combined)
        size = self.combined.stat().st_size / 1e9
        self.said = f"archives: {COMBINED} written ({len(self.taken)} images, {size:.2f} GB)"

    def discard(self) -> None:
        """Whatever is left half-written when the run stops."""
        self.stack.close()
        for partial in self.folder.glob(".*.partial"):
            partial.unlink()
