"""Any-uid check: the image under arbitrary uids, as OpenShift's restricted policy (12345:0) and
`docker run --user 5000:100` start it, through its own entrypoint (start.sh), and a process exec'd
into the container afterwards (docker exec, kubectl exec, oc rsh: not start.sh's child, with only the
image's environment).

For each of the two uids (side by side), the container started (start.sh run as that uid), then the
probe exec'd into it: a passwd entry with the image's home, Java's user.home (without them Spark's
JVM dies at start: tests/engine/test_any_uid.py runs Spark there, here the local session is the
jupyterlab check's), a writable home, pip install beside the locked packages (which it cannot remove);
as 5000:100, JupyterLab from start-notebook.py whose kernels start without warnings, `%pip install` in
a notebook (JupyterLab as 12345:0, under start.sh, is the other checks' service).

The other checks' services run as these uids too (services.py): JupyterLab as 12345:0 (the jupyterlab
check's local Spark session in a kernel, the spark-connect check's Connect kernel), the shared Connect
server as 5000:100 (the spark-connect, iceberg and redaction checks)."""

from __future__ import annotations

import anyio
import dagger

from .. import catalog, jupyter_layer
from .result import CheckFailed
from .services import OPENSHIFT_USER, OTHER_USER, Services


async def check(image: catalog.Image, services: Services) -> str:  # noqa: ARG001 - the same for every image
    def probe(user: str, *args: str) -> dagger.Container:
        # the container started as `user` (its entrypoint ran), then the probe exec'd into it
        ctr = services.runner().with_user(user).with_exec(["true"], use_entrypoint=True)
        return ctr.with_exec(["python", "/probes/any_uid_probe.py", jupyter_layer.HOME, *args])

    runs = {  # JupyterLab as OPENSHIFT_USER is the jupyterlab and spark-connect checks' service
        OPENSHIFT_USER: probe(OPENSHIFT_USER, "--local"),
        OTHER_USER: probe(OTHER_USER, "--local", "--jupyterlab"),
    }
    outs: dict[str, str | Exception] = {}

    async def collect(key: str, ctr: dagger.Container) -> None:
        try:
            outs[key] = await ctr.stdout()
        except Exception as err:  # noqa: BLE001 - raised below, as the check's own failure
            outs[key] = err

    async with anyio.create_task_group() as group:
        for key, ctr in runs.items():
            group.start_soon(collect, key, ctr)
    failed = [_reason(outs[key]) for key in runs if isinstance(outs[key], Exception)]
    if failed:
        raise CheckFailed("\n".join(failed))
    return "".join(str(outs[key]) for key in runs)


def _reason(err: Exception) -> str:
    """A probe's own words (its stderr after start.sh's last line, if start.sh ran it), not the engine's wrapping."""
    if isinstance(err, dagger.ExecError):
        said = err.stderr.strip()
        if "Executing the command: " in said:  # start.sh ran the probe: its lines, then the probe's
            said = said.rpartition("Executing the command: ")[2].partition("\n")[2]
        return said[-4000:] or err.stderr.strip()[-2000:]
    return f"{type(err).__name__}: {err}"
