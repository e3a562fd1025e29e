"""`python -m pipeline`: bad input is one clear error, exit 2, before any build. Unreadable files and
secrets are refused before a session starts (those tests run without an engine); bad values are
refused by the module's functions before they build anything (those need the engine's session)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from pipeline import catalog, runner
from pipeline.releases import SPARK_VERSIONS

from pipeline.limits import CHECK_LIMITS
from pipeline.recipe import PROBES, ROOT


def run(*args: str, engine: bool = False, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    dagger_env = ("_EXPERIMENTAL_DAGGER", "DAGGER_")
    clean = {k: v for k, v in os.environ.items() if engine or not k.startswith(dagger_env)}
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ca-bundle", "/nonexistent/ca.pem", "build", "--spark-version", "4.1.1"], "--ca-bundle /nonexistent"),
        (["publish", "--registry", "localhost:5000/ci", "--password", "env:UNSET_SECRET_VAR"], "env:VAR"),
        (["publish", "--registry", "localhost:5000/ci", "--password", "file:/nonexistent/pw"], "cannot read the file"),
        (["gate", "--report", "/nonexistent/report.json"], "--report /nonexistent/report.json: no such readable"),
        (["-o", "README.md", "test", "--spark-version", "4.1.1"], "-o README.md: test writes a directory there"),
        (["build-all", "-o", "README.md"], "-o README.md: build-all writes a directory there, and it is a file"),
        (["--limits", "build=nan", "build", "--spark-version", "4.1.1"], "a positive finite number"),
    ],
)
def test_unreadable_files_and_secrets_are_refused_before_a_session(args, message):
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr, result.stderr


@pytest.mark.engine
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "--spark-version", "4.1.99"], f"unknown Spark version '4.1.99'; valid: {', '.join(SPARK_VERSIONS)}"),
        (["build", "--spark-version", "3.5.7", "--variant", "gpu-iceberg"], "is not built for Spark 3.5"),
        (["--ca-bundle", "README.md", "build", "--spark-version", "4.1.1"], "is not a PEM certificate bundle"),
        (["publish", "--registry", "Registry/Team"], "malformed registry address 'Registry/Team'"),
        (["build-all", "--archives", "tarballs"], "--archives 'tarballs': valid: combined, per-image, both, none"),
        (["publish", "--registry", "jupyter"], "does not start with a registry host"),
        (["gate", "--report", "pyproject.toml"], "--report is not a report.json of this pipeline: not JSON"),
        (["gate", "--report", "tests/engine/chp/package.json"], "--report is not a report.json of this pipeline"),
        (["--revision", "a b", "publish", "--registry", "localhost:5000/ci"], "is not a valid image reference"),
    ],
)
def test_bad_values_are_refused_by_the_functions_before_any_build(args, message):
    result = run(*args, engine=True)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr, result.stderr


@pytest.mark.engine
def test_a_secret_is_never_printed():
    secret = "s3cr3t-for-the-test"
    args = ("publish", "--registry", "Bad/Registry", "--password", "env:SECRET_FOR_TEST")
    result = run(*args, engine=True, SECRET_FOR_TEST=secret)
    assert result.returncode == 2 and "malformed registry address" in result.stderr
    assert secret not in result.stderr + result.stdout


def test_a_second_build_all_on_the_same_output_stops_at_once(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "jupyter-4.1.1.tar").write_text("an archive of the first run")
    with (tmp_path / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the first run holds it
        result = run("build-all", "--spark-version", "4.1.1", "--variant", "baseline", "-o", str(tmp_path))
    assert result.returncode == 2 and "another build-all is writing" in result.stderr, result.stderr
    assert (tmp_path / "images" / "jupyter-4.1.1.tar").read_text() == "an archive of the first run"


def _raised(err: BaseException, cause: BaseException | None = None) -> BaseException:
    try:
        raise err from cause
    except BaseException as raised:  # noqa: BLE001 - handed back with its traceback and cause
        return raised


def test_an_engine_lost_mid_run_is_said_as_such_even_inside_an_exception_group(capsys):
    """A restarted engine's session answers 502 for a while: the GraphQL client's retries give up with
    its own error (raised from the transport's), inside the SDK's task group. That is the engine's
    failure, said in one line (the fault test restarts the engine under a real run); bad input and
    a function's failure keep their own words; any other error is a bug and is raised."""
    from gql.transport.exceptions import TransportServerError

    from pipeline.__main__ import _failed
    from pipeline.errors import UsageError
    from pipeline.report import Failed

    class RetryError(Exception):  # what gql's retrying (tenacity) raises when it gives up
        pass

    gave_up = _raised(RetryError("RetryError[...]"), TransportServerError("Server error '502 Bad Gateway'"))
    assert _failed(ExceptionGroup("unhandled errors in a TaskGroup", [gave_up])) == 1
    said = capsys.readouterr().err
    assert "error: the engine (" in said and "failed the run" in said and "502 Bad Gateway" in said
    assert _failed(ExceptionGroup("group", [UsageError("unknown Spark version")])) == 2
    assert "error: unknown Spark version" in capsys.readouterr().err
    assert _failed(Failed("2 of 14 images failed")) == 1
    with pytest.raises(ZeroDivisionError):
        _failed(_raised(ZeroDivisionError("a bug")))


@pytest.mark.engine
def test_the_dockerfiles_generator_runs_through_the_runner_and_changes_nothing_in_this_checkout():
    generated = run("generate-dockerfiles", engine=True)
    assert generated.returncode == 0 and "generate-dockerfiles: nothing changed" in generated.stderr, generated.stderr


@pytest.mark.engine
def test_build_all_fails_naming_the_image_and_check_after_writing_the_report_unless_failures_are_allowed(tmp_path):
    # the facts check given no time: it fails, the others pass; build-all exits 1 as `dagger call build-all` does
    one = ["build-all", "--spark-version", "4.1.1", "--variant", "baseline", "--platform", "linux/amd64"]
    failing = run("--limits", "facts=0.001", *one, "-o", str(tmp_path / "a"), engine=True, timeout=900)
    assert failing.returncode == 1, failing.stderr[-3000:]
    assert "error: 1 of 1 images failed their checks: jupyter-4.1.1 (facts)" in failing.stderr
    assert "Traceback" not in failing.stderr
    [image] = json.loads((tmp_path / "a" / "reports" / "report.json").read_text())
    assert image["verdict"] == "failed" and not (tmp_path / "a" / "images" / "jupyter-spark-images.tar").exists()
    allowed = run(
        "--limits", "facts=0.001", *one, "--allow-failures", "-o", str(tmp_path / "b"), engine=True, timeout=900
    )
    assert allowed.returncode == 0, allowed.stderr[-3000:]
    assert json.loads((tmp_path / "b" / "reports" / "report.json").read_text())[0]["verdict"] == "failed"


@pytest.mark.engine
def test_a_failed_build_step_is_named_with_its_output_and_the_download_option_not_as_the_engine():
    index = "http://127.0.0.1:9/simple"  # nothing listens there
    result = run("--pip-index-url", index, "build", "--spark-version", "4.1.1", engine=True, timeout=600)
    assert result.returncode == 1, result.stderr[-3000:]
    first = result.stderr.strip().splitlines()[0]
    step = "the step `python3 -m venv /opt/build-tools` exited 1"  # the first to use the index: uv's install
    assert first == f"error: {step} (downloads from --pip-index-url {index}); its output ends:"
    assert "No matching distribution found" in result.stderr
    assert "engine" not in result.stderr and "Traceback" not in result.stderr


def test_a_ctrl_c_is_noted_and_the_handler_before_it_still_runs():
    # the dagger CLI's session process gets the terminal's SIGINT too and may end first: a run that then
    # fails on the lost connection is reported as interrupted (tests/faults: Ctrl-C), not as a lost engine
    from pipeline import cli

    seen: list[int] = []
    before = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        cli.INTERRUPTED.clear()
        cli.note_interrupts()
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
        assert cli.INTERRUPTED.is_set() and seen == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, before)
        cli.INTERRUPTED.clear()


def test_build_all_takes_the_images_selected_by_spark_line_in_their_order():
    selected = catalog.images()
    grouped = runner.lines(selected)
    assert [line[0].spark.version for line in grouped] == list(SPARK_VERSIONS)
    assert [image for line in grouped for image in line] == selected  # the catalog lists a line's images together
    assert all(len({image.spark.version for image in line}) == 1 for line in grouped)
    first, last = catalog.image("3.5.7", "gpu"), catalog.image("4.1.1", "iceberg")
    assert runner.lines([first, last, catalog.image("3.5.7", "iceberg")]) == [
        [first, catalog.image("3.5.7", "iceberg")],
        [last],
    ]


@pytest.mark.engine
def test_build_all_reads_the_source_once_an_edit_during_the_run_reaches_none_of_its_lines(tmp_path):
    """Each Spark line runs in a session of its own. A probe broken in the checkout once the run has
    started (here, in a copy of the checkout that runs it) reaches none of the lines: every one reads the
    source as it was when the run began. Only the facts check runs (the others given 0: skipped)."""
    checkout = tmp_path / "checkout"
    for folder in ("pipeline", "requirements"):
        shutil.copytree(ROOT / folder, checkout / folder, ignore=shutil.ignore_patterns("__pycache__"))
    only_facts = ",".join(f"{name}=0" for name in CHECK_LIMITS if name != "facts")
    command = [sys.executable, "-m", "pipeline", "--limits", only_facts, "build-all", "--variant", "baseline"]
    command += ["--platform", "linux/amd64", "--archives", "none", "-o", str(tmp_path / "out")]
    run = subprocess.Popen(command, cwd=checkout, stderr=subprocess.PIPE, text=True)
    said, broken = [], checkout / PROBES / "facts_probe.py"
    for line in run.stderr:  # the first line's session has started: the run's source is read
        said.append(line)
        if line.rstrip().endswith(": building"):
            broken.write_text('import sys\nsys.exit("broken during the run")\n')
            break
    said += run.stderr.readlines()
    assert "broken during the run" in broken.read_text(), "".join(said)[-3000:]  # the edit was made mid-run
    assert run.wait(timeout=1200) == 0, "".join(said)[-3000:]
    results = json.loads((tmp_path / "out" / "reports" / "report.json").read_text())
    assert [r["image"] for r in results] == [f"jupyter-{v}" for v in SPARK_VERSIONS], results
    assert all(r["verdict"] == "passed" for r in results), results
