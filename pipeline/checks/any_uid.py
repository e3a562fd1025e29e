"""Any-uid check: the image under arbitrary uids, as OpenShift's restricted policy (12345:0) and
`docker run --user 5000:100` start it, through its own entrypoint (start.sh), and a process exec'd
into the container afterwards (docker exec, kubectl exec, oc rsh: not start.sh's child, with only the
image's environment).

For each of the two uids (side by side), the container started (start.sh run as that uid), then the
probe exec'd into it: a passwd entry with the image's home, Java's user.home (without them Spark's
JVM dies at start: tests/engine/test_any_uid.py runs Spark there, here the local session is the
jupyterlab check's), a writable home, pip install beside the locked packages (which it cannot remove);
as 5000:100, JupyterLab from start-notebook.py whose kernels start without warnings, `%pip install` in
a notebook (JupyterLab as 12345:0, under start.sh, is the other checks' service). Beside them, a
Spark Connect server started with an Iceberg REST catalog's credential and token (Dagger secrets) and
a setting named `...credential`: it answers,
and its UI's environment page, read through the service binding, shows none of the values and lists
the keys as redacted. That server is the shared one (services.py: as 5000:100, also serving the
spark-connect check) on images without Iceberg; an Iceberg image's shared server keeps the file
warehouse its iceberg check uses, so there this check starts its own, as 12345:0, whose default catalog
ICEBERG_REST_URI switches to REST (its credential and token then Spark settings that must be redacted).

The other checks' services run as these uids too (services.py): JupyterLab as 12345:0 (the jupyterlab
check's local Spark session in a kernel, the spark-connect check's Connect kernel), the shared Connect
server as 5000:100 (the spark-connect and Iceberg checks)."""

from __future__ import annotations

import anyio
import dagger
from dagger import dag

from .. import catalog, jupyter_layer
from .result import CheckFailed
from .services import CONNECT, CONNECT_UI, CONNECT_URL, OPENSHIFT_USER, OTHER_USER, Services


def redaction_server(image: catalog.Image, services: Services) -> dagger.Service:
    """The Connect server whose UI must redact the credentials: the shared one, or (Iceberg) its own."""
    if image.iceberg:
        return services.connect_server(OPENSHIFT_USER, rest_catalog=True)
    return services.connect


async def check(image: catalog.Image, services: Services) -> str:
    listed = dag.set_secret(f"probe-secrets-{services.run_id}", ",".join(services.secrets.values()))

    def probe(user: str, *args: str, server: dagger.Service | None = None, execd: bool = False) -> dagger.Container:
        ctr = services.runner().with_user(user).with_secret_variable("PROBE_SECRETS", listed)
        if server is not None:
            ctr = ctr.with_service_binding(CONNECT, server)
        command = ["python", "/probes/any_uid_probe.py", jupyter_layer.HOME, *args]
        if execd:  # the container started as `user` (its entrypoint ran), then the probe exec'd into it
            return ctr.with_exec(["true"], use_entrypoint=True).with_exec(command)
        return ctr.with_exec(command, use_entrypoint=True)

    runs = {  # JupyterLab as OPENSHIFT_USER is the jupyterlab and spark-connect checks' service
        OPENSHIFT_USER: probe(OPENSHIFT_USER, "--local", execd=True),
        OTHER_USER: probe(OTHER_USER, "--local", "--jupyterlab", execd=True),
        "redaction": probe(
            OTHER_USER,
            "--connect",
            CONNECT_URL,
            CONNECT_UI,
            *(["--iceberg"] if image.iceberg else []),
            server=redaction_server(image, services),
        ),
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
