"""Faults on the real engine, through `python -m pipeline` as a user runs it: a run killed while it
exports, a registry that is down, the engine restarted under a run. A separate pytest run in
`make test`, after the others: restarting the engine ends every session open at that moment."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from pipeline.archives import held
from pipeline.shipping import COMBINED, image_tags
from pipeline.recipe import ROOT

pytestmark = pytest.mark.engine

ENGINE = "dagger-engine"
ONE_IMAGE = ("--spark-version", "4.1.1", "--variant", "baseline", "--platform", "linux/amd64")


class Run:
    """`python -m pipeline ARGS` in a process group of its own (so a kill takes its session too),
    its output in files (a pipe nobody reads could stall it)."""

    def __init__(self, logs: Path, *args: str):
        self.stdout, self.stderr = logs / "stdout", logs / "stderr"
        with self.stdout.open("w") as out, self.stderr.open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pipeline", *args], cwd=ROOT, stdout=out, stderr=err, start_new_session=True
            )

    def finish(self, seconds: float) -> tuple[int, str, str]:
        code = self.process.wait(timeout=seconds)
        return code, self.stdout.read_text(), self.stderr.read_text()

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def wait_for(what: str, seconds: float, ready) -> None:
    end = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < end, f"timed out after {seconds:.0f}s waiting for {what}"
        time.sleep(0.5)


def test_a_run_killed_while_exporting_leaves_no_partial_archive(tmp_path: Path):
    out = tmp_path / "build"
    # partial: the engine's archive of the image, unnamed, as the runner fetches it
    fetched, partial = out / "images" / "jupyter-4.1.1.tar", out / "images" / ".jupyter-4.1.1.unnamed.partial"
    archive = out / "images" / COMBINED
    run = Run(tmp_path, "build-all", *ONE_IMAGE, "-o", str(out))
    exporting = lambda: partial.exists() and partial.stat().st_size > 0  # noqa: E731
    wait_for("the export to start", 900, lambda: exporting() or run.process.poll() is not None)
    assert run.process.poll() is None, f"the run ended before exporting: {run.stderr.read_text()[-2000:]}"
    run.kill()
    assert not archive.exists() and not fetched.exists(), "a killed export left a file under an archive's name"
    size = partial.stat().st_size
    time.sleep(10)
    assert partial.stat().st_size == size, "the engine went on exporting after the run was killed"

    code, _, stderr = Run(tmp_path, "build-all", *ONE_IMAGE, "-o", str(out)).finish(1800)
    assert code == 0, stderr[-3000:]
    assert archive.stat().st_size > 100_000_000 and sorted(p.name for p in archive.parent.iterdir()) == [COMBINED]
    assert oct(archive.stat().st_mode & 0o777) == "0o644"


def reported(out: Path) -> dict:
    [image] = json.loads((out / "reports" / "report.json").read_text())
    return image


def test_build_all_with_nothing_changed_reuses_the_checks_and_rewrites_nothing(tmp_path: Path):
    out = tmp_path / "build"
    archive = out / "images" / COMBINED
    code, _, stderr = Run(tmp_path, "build-all", *ONE_IMAGE, "-o", str(out)).finish(1800)
    assert code == 0, stderr[-3000:]
    first, written = reported(out), archive.stat().st_mtime_ns
    assert first["verdict"] == "passed" and not first["reused"] and first["digest"].startswith("sha256:")
    # named by the digest of its inputs (no --revision): latest and src-<digest>, the checked image
    tags = held(archive)
    [revision] = [t.partition(":")[2] for t in tags if t != "jupyter-4.1.1:latest"]
    assert revision.startswith("src-") and tags == dict.fromkeys(image_tags("jupyter-4.1.1", revision), first["digest"])

    code, _, stderr = Run(tmp_path, "build-all", *ONE_IMAGE, "-o", str(out)).finish(1800)
    assert code == 0, stderr[-3000:]
    again = reported(out)
    assert again["reused"] and again["checked_at"] == first["checked_at"] and again["digest"] == first["digest"]
    assert again["checks"] == first["checks"] and "unchanged" in stderr
    assert archive.stat().st_mtime_ns == written, "an unchanged archive was rewritten"

    code, _, stderr = Run(tmp_path, "build-all", *ONE_IMAGE, "--recheck", "-o", str(out)).finish(1800)
    assert code == 0, stderr[-3000:]
    rechecked = reported(out)
    assert not rechecked["reused"] and rechecked["checked_at"] >= first["checked_at"]
    assert rechecked["digest"] == first["digest"] and archive.stat().st_mtime_ns == written


def test_publishing_to_a_registry_that_is_down_names_it_and_exits_non_zero(tmp_path: Path):
    run = Run(tmp_path, "--limits", "push=120", "publish", "--registry", "localhost:5999/ci", *ONE_IMAGE)
    code, stdout, stderr = run.finish(1800)
    assert code == 1, stderr[-3000:]
    assert "push failed: jupyter-4.1.1: " in stderr and "localhost:5999" in stderr
    assert "pushed: nothing" in stderr and stdout.strip() == ""


SMOKE = """
import anyio, dagger

async def main():
    async with dagger.connection(dagger.Config(log_output=None)):
        await dagger.dag.container().from_("debian:bookworm-slim").with_exec(["true"]).sync()

anyio.run(main)
"""


def engine_serves() -> bool:
    """A session runs a container on the engine (through the local registry mirror, which restarts with it)."""
    code = SMOKE
    try:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def test_an_engine_restarted_under_a_run_fails_it_clearly_and_in_bounded_time(tmp_path: Path):
    out = tmp_path / "build"
    run = Run(tmp_path, "build-all", *ONE_IMAGE, "-o", str(out))
    wait_for("the checks to start", 900, lambda: "checking" in run.stderr.read_text() or run.process.poll() is not None)
    assert run.process.poll() is None, run.stderr.read_text()[-2000:]
    # a clean restart (Docker's default 10 s is about what the engine takes to stop: a kill would wipe its cache)
    subprocess.run(["docker", "restart", "-t", "120", ENGINE], check=True, capture_output=True, timeout=240)
    try:
        code, _, stderr = run.finish(300)
    finally:
        wait_for("the engine to serve again", 300, engine_serves)
    assert code == 1, stderr[-3000:]
    assert f"error: the engine (docker-container://{ENGINE}) failed the run" in stderr, stderr[-3000:]
    # the report is still written, and says the image failed: the gate fails, nothing is shipped
    report = json.loads((out / "reports" / "report.json").read_text())
    assert [(r["image"], r["verdict"]) for r in report] == [("jupyter-4.1.1", "failed")]
    assert not (out / "images" / "jupyter-4.1.1.tar").exists()
    gate = Run(tmp_path, "gate", "--report", str(out / "reports" / "report.json"))
    assert gate.finish(120)[0] == 1


# One session's part of the test below: jupyter-4.1.1 (cached), its checked archive's digest, what the
# engine's own push of the same container gets, and (with a namespace) what publish ships, as JSON
AFTER_RESTART = """
import json, sys, uuid, anyio, dagger
from pipeline import assembly, catalog, recipe, shipping
from pipeline.checks.result import CheckResult, ImageResult

async def main(registry):
    async with dagger.connection(dagger.Config(log_output=None)):
        opts, image = recipe.BuildOptions(), catalog.image("4.1.1", "baseline")
        ctr = assembly.build(image, opts, "linux/amd64")
        out = {"archive": await shipping.manifest_digest(ctr, opts)}
        if registry:
            own = await ctr.publish(f"{registry}/engine-own-{uuid.uuid4().hex[:8]}:latest")
            out["engine"] = own.rsplit("@", 1)[1]
            result = ImageResult(image.name, [CheckResult("facts", "passed", 1.0, "ok")], digest=out["archive"])
            shipped = await shipping.publish_passed([shipping.Built(image, ctr, result)], registry, None, None, "r")
            out |= {"pushed": [r.rsplit("@", 1)[1] for r in shipped.pushed], "failed": shipped.failed}
        print(json.dumps(out))

anyio.run(main, sys.argv[1] if len(sys.argv) > 1 else None)
"""


def session_after_restart(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", AFTER_RESTART, *args], cwd=ROOT, capture_output=True, text=True, timeout=1200
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_after_an_engine_restart_publish_ships_the_checked_archive():
    """The engine writes an image's history from its layers' cache records: after a restart, its own push
    of a container cached before carries other times, so another digest than the container's archive,
    cached with the report that checked it (a CI run on a warm cache failed every push so). publish copies
    the checked archive: what ships is what was checked, restart or not."""
    before = session_after_restart()
    subprocess.run(["docker", "restart", "-t", "120", ENGINE], check=True, capture_output=True, timeout=240)
    wait_for("the engine to serve again", 300, engine_serves)
    after = session_after_restart(f"10.87.0.1:5000/restarted-{uuid.uuid4().hex[:8]}")
    assert after["archive"] == before["archive"], "the archive, and with it the report's digest, is cached"
    assert after["engine"] != after["archive"], f"the engine's own push matched the archive: {after}"
    assert after["failed"] == [] and after["pushed"] == [before["archive"]] * 2, after


def test_ctrl_c_says_what_stopped_and_leaves_a_consistent_report(tmp_path: Path):
    out = tmp_path / "build"
    run = Run(tmp_path, "build-all", *ONE_IMAGE, "-o", str(out))
    wait_for("the checks to start", 900, lambda: "checking" in run.stderr.read_text() or run.process.poll() is not None)
    assert run.process.poll() is None, run.stderr.read_text()[-2000:]
    os.killpg(run.process.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends: the whole process group
    code, _, stderr = run.finish(120)
    assert code == 130, stderr[-3000:]
    assert "error: interrupted: build-all stopped" in stderr and "Traceback" not in stderr, stderr[-3000:]
    report = json.loads((out / "reports" / "report.json").read_text())
    assert [(r["image"], r["verdict"]) for r in report] == [("jupyter-4.1.1", "failed")]
    assert "not built: the run stopped" in report[0]["checks"][0]["detail"]
    assert not [p.name for p in (out / "images").glob("*") if not p.name.startswith(".")]
