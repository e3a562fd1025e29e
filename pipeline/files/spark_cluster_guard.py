"""Loaded by the image's PySpark kernels (pyspark-kernel): a session whose master is a Spark standalone
cluster of another Spark line fails at once, saying both versions, where Spark itself would retry for a
minute and then fail with "All masters are unresponsive" and a stopped SparkContext.

The master's version is read from its web UI (SPARK_MASTER_WEBUI_URL, default: the master's host, port
8080). Where that cannot be read, the session starts as it would without this guard.
"""

from __future__ import annotations

import os
import re
import shlex
import urllib.request

import pyspark
from pyspark.sql import SparkSession

_VERSION = re.compile(r'class="version"[^>]*>\s*([0-9][^<\s]*)\s*<')


class SparkVersionMismatch(RuntimeError):
    """A cluster of another Spark line. Shown in a notebook as its message alone (_render_traceback_)."""

    def _render_traceback_(self) -> list[str]:
        return [f"SparkVersionMismatch: {self}"]


def _master(options: dict) -> str:
    if "spark.master" in options:
        return str(options["spark.master"])
    args = shlex.split(os.environ.get("PYSPARK_SUBMIT_ARGS", ""))
    return next((b for a, b in zip(args, args[1:], strict=False) if a == "--master"), "")


def master_version(master: str) -> str | None:
    """The Spark version a standalone master's web UI shows, or None where it cannot be read."""
    host = master.removeprefix("spark://").split(",")[0].rsplit(":", 1)[0]
    url = os.environ.get("SPARK_MASTER_WEBUI_URL") or f"http://{host}:8080/"
    try:
        with urllib.request.urlopen(url, timeout=5) as page:  # noqa: S310 - the user's own master
            found = _VERSION.search(page.read(200_000).decode("utf-8", "replace"))
    except (OSError, ValueError):
        return None
    return found.group(1) if found else None


def check(master: str) -> None:
    """Raise SparkVersionMismatch where master is a standalone cluster of another Spark line than this one."""
    if not master.startswith("spark://"):
        return
    theirs, ours = master_version(master), pyspark.__version__
    if theirs and theirs.split(".")[:2] != ours.split(".")[:2]:
        raise SparkVersionMismatch(
            f"the cluster at {master} runs Spark {theirs}, this notebook has Spark {ours}. A driver and its "
            f"cluster must run the same Spark line ({'.'.join(ours.split('.')[:2])}.x here): use an image "
            f"of Spark {theirs} for this cluster, or a cluster of Spark {ours}."
        )


_get_or_create = SparkSession.Builder.getOrCreate


def _guarded(self: SparkSession.Builder) -> SparkSession:
    check(_master(getattr(self, "_options", {})))
    return _get_or_create(self)


SparkSession.Builder.getOrCreate = _guarded
