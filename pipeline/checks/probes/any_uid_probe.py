"""The image as a platform runs it: an arbitrary uid (docker --user, OpenShift), run through the
image's entrypoint (start.sh). --local proves, as that uid: a passwd entry with the image's home (so
Java's user.home is real), a writable home, `pip install` beside the locked packages (which it cannot
remove); --jupyterlab: JupyterLab started by start-notebook.py whose kernels start without warnings, and `%pip
install` in a notebook.

usage: any_uid_probe.py HOME [--local] [--jupyterlab]
"""

import argparse
import os
import pwd
import re
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import httpx

from kernel_client import Jupyter

parser = argparse.ArgumentParser()
parser.add_argument("home")
parser.add_argument("--local", action="store_true")
parser.add_argument("--jupyterlab", action="store_true")
args = parser.parse_args()
uid, gid = os.getuid(), os.getgid()
who = f"uid {uid}:{gid}"
started = time.monotonic()
_print = print


def print(line: str) -> None:  # noqa: A001 - each line with the seconds since the probe started
    _print(f"{line} [{time.monotonic() - started:.0f}s]", flush=True)


problems: list[str] = []


def fail(message: str) -> None:
    """A problem, reported at the end: the probe goes on to find the others."""
    problems.append(f"{who}: {message}")


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def wheel(name: str) -> Path:
    """A tiny pure-Python wheel, so pip needs no index."""
    path = Path(tempfile.mkdtemp()) / f"{name}-0.1-py3-none-any.whl"
    dist = f"{name}-0.1.dist-info"
    files = {
        f"{name}.py": "VALUE = 42\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: probe\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    with zipfile.ZipFile(path, "w") as zf:
        for arcname, text in files.items():
            zf.writestr(arcname, text)
        zf.writestr(f"{dist}/RECORD", "".join(f"{n},,\n" for n in files) + f"{dist}/RECORD,,\n")
    return path


def _answers(jupyter: Jupyter) -> bool:
    try:
        return jupyter.http.get("/api/status").status_code == 200
    except httpx.TransportError:
        return False


def local() -> None:
    # identity: a passwd entry (start.sh adds one for a uid without) whose home is the image's
    try:
        entry = pwd.getpwuid(uid)
        if entry.pw_dir != args.home:
            fail(f"passwd home is {entry.pw_dir!r}, expected {args.home}")
    except KeyError:
        fail("no passwd entry: start.sh did not add one")
    java = run("java", "-XshowSettings:properties", "-version")
    java_home = re.search(r"user\.home = (.*)", java.stderr)
    if not java_home or java_home.group(1).strip() != args.home:
        fail(f"Java's user.home is {java_home and java_home.group(1)!r}, expected {args.home}")
    probe_file = Path(args.home) / f".probe-{uuid.uuid4().hex[:8]}"
    try:
        probe_file.write_text("x")
        probe_file.unlink()
    except OSError as err:
        fail(f"home {args.home} is not writable: {err}")
    print(f"{who}: passwd entry, Java user.home {args.home}, home writable: checked")

    # pip install as this uid, beside the locked packages; those stay (removing one is refused)
    name = f"probe_pip_{uuid.uuid4().hex[:8]}"
    installed = run(sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", str(wheel(name)))
    if installed.returncode != 0:
        fail(f"pip install failed: {installed.stderr.strip()[-600:]}")
    elif run(sys.executable, "-c", f"import {name}; assert {name}.VALUE == 42").returncode != 0:
        fail(f"{name} installed by pip does not import")
    locked = run(sys.executable, "-m", "pip", "uninstall", "-y", "findspark")
    if locked.returncode == 0 or run(sys.executable, "-c", "import findspark").returncode != 0:
        fail("a locked package (findspark) could be uninstalled by the user")
    print(f"{who}: pip install of a wheel, a locked package's removal refused: checked")


def jupyterlab() -> None:
    # JupyterLab through start-notebook.py, as this uid; kernels start without warnings; %pip install
    port, token = "8899", uuid.uuid4().hex
    log_path = Path(tempfile.mkdtemp()) / "jupyter.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            ["start-notebook.py", f"--port={port}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "JUPYTER_TOKEN": token},
        )
    try:
        jupyter = Jupyter(f"http://127.0.0.1:{port}", token)
        for _ in range(60):  # until it answers or exits
            if server.poll() is not None:
                break
            try:
                jupyter.wait_ready(1)
                break
            except SystemExit:
                pass
        if not _answers(jupyter):
            log_tail = log_path.read_text().strip().splitlines()[-3:]
            fail("JupyterLab from start-notebook.py did not serve: " + " | ".join(log_tail))
            return
        kname = f"probe_kernel_{uuid.uuid4().hex[:8]}"
        out = jupyter.execute(
            "python3",
            f"%pip install -q --no-index --no-deps {wheel(kname)}\nimport {kname}\nprint('pip', {kname}.VALUE)\n",
            seconds=90,
        )
        if "pip 42" not in out:
            fail(f"%pip install in a notebook kernel printed {out!r}")
        out = jupyter.execute("pyspark-local", "print('kernel', 1 + 1)", seconds=60)
        if "kernel 2" not in out:
            fail(f"the PySpark (local) kernel printed {out!r}")
    finally:
        server.terminate()
        server.wait(20)
    log_text = log_path.read_text()
    warnings = [line for line in log_text.splitlines() if re.search(r"\[IPKernelApp\] WARNING|\[W .*IPKernelApp", line)]
    if warnings:
        fail("kernels warned at start:\n" + "\n".join(warnings))
    print(f"{who}: JupyterLab from start-notebook.py, %pip install in a notebook, kernels without warnings: checked")


if args.local:
    local()
if args.jupyterlab:
    jupyterlab()

if problems:
    sys.exit("\n".join(problems))
