"""The "PySpark (RAPIDS)" kernel's settings (conf/rapids.conf, "key value" lines), for the probes."""

from pathlib import Path

RAPIDS_CONF = Path("/opt/spark/conf/rapids.conf")


def load() -> dict[str, str]:
    lines = RAPIDS_CONF.read_text().splitlines()
    return dict(line.split(" ", 1) for line in lines if line and not line.startswith("#"))
