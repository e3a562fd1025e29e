"""Cluster check: the image as a Spark standalone cluster, and a notebook that uses it both ways.

Services of the image itself: a standalone master, two workers (WORKER's cores and memory each, named
in CHECK_WORKER) and a Spark Connect server whose master is the standalone master. The nodes find the
master by a service binding (MASTER) and one another by the addresses Spark advertises by default
(each container's own), as on a container network or Kubernetes. (Session-wide hostnames,
Service.with_hostname, do not start inside a module's function on this engine.) JupyterLab, started
with SPARK_REMOTE at that server and SPARK_MASTER at the master, runs in its kernels:

- "PySpark (Connect)": a job through the Connect server, whose tasks run on executors on both workers;
  on an Iceberg image, a table written by those executors to a warehouse the containers share;
- "PySpark (local)" in client mode against the same master: the driver is the kernel, and the executors
  call back into it at the ports the image sets (DRIVER_PORTS); on an Iceberg image it reads the table
  back, with time travel.

The probe proves where the work ran from the cluster's own APIs (cluster_probe.py). Every node runs as
the image's default user; the arbitrary-uid cases are the other checks'.
"""

from __future__ import annotations

import anyio
import dagger
from dagger import dag

from .. import catalog, paths
from ..limits import DEFAULTS
from ..jupyter_layer import DRIVER_PORTS
from .result import CheckFailed, exec_failure
from .services import CHECK_JVM, JUPYTER, JUPYTER_URL, Services, listening, ready_when, stop_all

MASTER, CONNECT = "spark-master", "spark-connect"  # the services' aliases where they are bound
MASTER_PORT, MASTER_UI, WORKER_UI, CONNECT_PORT, DRIVER_UI = 7077, 8080, 8081, 15002, 4040
MASTER_URL = f"spark://{MASTER}:{MASTER_PORT}"
WORKERS = ("spark-worker-1", "spark-worker-2")  # CHECK_WORKER in each: what its executors' Python tasks report
WORKER = {"cores": 2, "memory": "1g"}  # per worker: one executor of each application (APP)
# per application (the Connect server's, the notebook's): one executor on each worker, and no job before
# both have registered (so that a short job's tasks land on both); executors' JVMs as CHECK_JVM
APP = {
    "spark.cores.max": "2",
    "spark.executor.cores": "1",
    "spark.executor.memory": "512m",
    "spark.scheduler.minRegisteredResourcesRatio": "1.0",
    "spark.scheduler.maxRegisteredResourcesWaitingTime": "120s",
    "spark.executor.extraJavaOptions": CHECK_JVM[1],
}
DAEMON_JVM = ("SPARK_DAEMON_JAVA_OPTS", CHECK_JVM[1])  # the master's and workers' JVMs


class Cluster:
    """One check run's cluster: its services, new for each check run (the check run's environment)."""

    def __init__(self, image: catalog.Image, services: Services) -> None:
        self.services, self.iceberg = services, image.iceberg
        # the Iceberg warehouse, one folder shared by every node and the notebook (as a shared filesystem
        # would be on a real cluster), owned by the user they run as
        self.warehouse = dag.cache_volume(f"cluster-warehouse-{services.run_id}")

    def container(self) -> dagger.Container:
        ctr = self.services.container()
        if self.iceberg:
            ctr = ctr.with_mounted_cache(paths.WAREHOUSE, self.warehouse, owner=paths.NOTEBOOK_USER)
        return ctr

    def node(self, ready_port: int, ready: list[str] | None = None) -> dagger.Container:
        """The image as a node of this cluster, with ready_port exposed: ready when the ready command
        succeeds, by default when ready_port accepts connections (the image's own healthcheck is
        JupyterLab's)."""
        ctr = self.container().with_env_variable(*DAEMON_JVM).with_exposed_port(ready_port)
        return ready_when(ctr, ready or listening(ready_port))

    @property
    def master(self) -> dagger.Service:
        args = ["spark-class", "org.apache.spark.deploy.master.Master"]
        args += ["--port", str(MASTER_PORT), "--webui-port", str(MASTER_UI)]
        # its web UI answers once its RPC endpoint is up (Master.onStart)
        return self.node(MASTER_UI).with_exposed_port(MASTER_PORT).as_service(args=args, use_entrypoint=True)

    def on_cluster(self, ctr: dagger.Container) -> dagger.Container:
        return ctr.with_service_binding(MASTER, self.master)

    def worker(self, name: str) -> dagger.Service:
        args = ["spark-class", "org.apache.spark.deploy.worker.Worker", "--webui-port", str(WORKER_UI)]
        args += ["--cores", str(WORKER["cores"]), "--memory", WORKER["memory"], MASTER_URL]
        ctr = self.on_cluster(self.node(WORKER_UI, registered(WORKER_UI))).with_env_variable("CHECK_WORKER", name)
        return ctr.as_service(args=args, use_entrypoint=True)

    @property
    def connect(self) -> dagger.Service:
        args = ["start-connect-server.sh", "--master", MASTER_URL]
        for name, value in APP.items():
            args += ["--conf", f"{name}={value}"]
        ctr = self.on_cluster(self.node(CONNECT_PORT)).with_exposed_port(DRIVER_UI)
        return ctr.as_service(args=args, use_entrypoint=True)

    @property
    def jupyter(self) -> dagger.Service:
        ctr = (
            self.on_cluster(self.container())
            .with_service_binding(CONNECT, self.connect)
            .with_env_variable("SPARK_REMOTE", f"sc://{CONNECT}:{CONNECT_PORT}")
            .with_env_variable("SPARK_MASTER", MASTER_URL)
        )
        return self.services.jupyter_server(ctr)

    def runner(self) -> dagger.Container:
        """The probe's container: bound to JupyterLab, the master's API and the Connect server's driver."""
        ctr = self.on_cluster(self.services.runner()).with_service_binding(CONNECT, self.connect)
        return ctr.with_service_binding(JUPYTER, self.jupyter).with_secret_variable(
            "JUPYTER_TOKEN", self.services.token
        )

    def probe_args(self) -> list[str]:
        return [
            JUPYTER_URL,
            f"http://{MASTER}:{MASTER_UI}",
            MASTER_URL,
            f"http://{CONNECT}:{DRIVER_UI}",
            ",".join(WORKERS),
            f"--app-conf={','.join(f'{k}={v}' for k, v in APP.items())}",
            *(f"--driver-conf={name}={port}" for name, port in DRIVER_PORTS.items()),
            *(["--iceberg"] if self.iceberg else []),
        ]


async def check(image: catalog.Image, services: Services, gpu: bool, stop: float = DEFAULTS["stop"]) -> str:
    cluster = Cluster(image, services)
    started: list[dagger.Service] = []
    failed: list[str] = []  # the nodes that did not start, in their own words (their errors, not a stack trace)

    async def start(name: str, service: dagger.Service) -> None:
        try:
            started.append(await service.start())
        except dagger.ExecError as err:
            failed.append(f"{name} did not start: {_errors(err)}")

    try:
        # in this order: an application gets its executors from the workers its master knows when it
        # registers (one on each only if both are registered by then); the workers side by side
        await start("the master", cluster.master)
        if not failed:
            async with anyio.create_task_group() as workers:
                for name in WORKERS:
                    workers.start_soon(start, f"worker {name}", cluster.worker(name))
        if not failed:
            await start("the Spark Connect server", cluster.connect)
        if failed:
            raise CheckFailed("\n".join(failed))
        detail = await cluster.runner().with_exec(["python", "cluster_probe.py", *cluster.probe_args()]).stdout()
    finally:  # the nodes' CPU back for the checks that follow
        await stop_all(started, stop)
    if image.rapids:
        why = "the engine has a GPU (--gpu) but" if gpu else "this run has no GPU (--gpu), and"
        detail += f"\nGPU workers: not checked ({why} the cluster check does not yet give workers GPUs)"
    return detail


def registered(ui_port: int) -> list[str]:
    """A worker's healthcheck: ready once its master has registered it (its API then names the master)."""
    url = f"http://localhost:{ui_port}/json/"
    code = f"import json, sys, urllib.request as r; sys.exit(not json.load(r.urlopen({url!r}, timeout=4))['masterurl'])"
    return ["python", "-c", code]


def _errors(err: dagger.ExecError) -> str:
    """A failed service's ERROR and exception lines (its first few), else its last lines."""
    lines = (err.stderr or err.stdout or "").splitlines()
    errors = [line for line in lines if " ERROR " in line or "Exception" in line and not line.startswith("\t")]
    return "\n".join(errors[:4]) or exec_failure(err)
