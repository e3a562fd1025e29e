"""The services a check binds: the image as JupyterLab and as a Spark Connect server.

Both run the image unchanged (the environment adds only the check run's PYCACHE and CHECK_JVM, and sets
PATH without sbin: below),
under arbitrary uids as OpenShift and `docker run --user` start it (JupyterLab as 12345:0, the
Connect server as 5000:100): JupyterLab with its own default command, the
Connect server with the one documented command. The Connect server is started as a deployment hands it
credentials: ICEBERG_REST_CREDENTIAL, ICEBERG_REST_TOKEN and a `--conf ...credential=` from Dagger
secrets (and ICEBERG_REST_URI where the image has no Iceberg catalog to switch), so that the redaction
check proves on the same server that its UI redacts them (an Iceberg image's shared server keeps its
file warehouse for the iceberg check: the redaction check starts one with the REST catalog there). A
runner container (the image itself, so pyspark matches the server) executes the probe scripts against them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from dataclasses import dataclass

import anyio
import dagger
from dagger import dag

from ..limits import EMULATION_SLOWDOWN
from ..recipe import HEALTHCHECK

JUPYTER, CONNECT = "jupyter", "spark-connect"
REST_URI = "http://iceberg-rest.invalid:8181"  # never contacted: the catalog loads on first use
SECRETS = ("ICEBERG_REST_CREDENTIAL", "ICEBERG_REST_TOKEN", "PROBE_CONF_SECRET")  # random values, Dagger secrets
CONF_SECRET = "spark.jupyter-spark.probe.credential"  # a setting named `...credential`, on every image
OPENSHIFT_USER = "12345:0"  # an arbitrary uid in the root group, as OpenShift's restricted policy runs pods
OTHER_USER = "5000:100"  # an arbitrary uid in docker-stacks' `users` group
# JupyterLab is checked as JupyterHub serves it: under a user's prefix, with a token (jupyter_server below)
BASE_URL = "/user/jovyan/"
JUPYTER_URL = f"http://{JUPYTER}:8888{BASE_URL.rstrip('/')}"
CONNECT_URL, CONNECT_UI = f"sc://{CONNECT}:15002", f"http://{CONNECT}:4040"
# The image ships no bytecode (jupyter_layer.py), so each Python process compiles what it imports
# (pyspark's Connect client alone: 2 CPU-s). A check starts some 30 of them under 4 uids; they share
# one bytecode cache (PYTHONPYCACHEPREFIX: the image's own files unchanged), kept for the next check
# run of the same Python files (Services.pycache_key): a baseline's check run 91 CPU-s with a new cache,
# 81 with one kept.
PYCACHE = "/var/cache/check-pycache"
# Spark's JVMs in a check live for seconds, where C2's compiler threads cost more CPU than they save
# (a local session on 4.1: 15-16 CPU-s, 9-10 with C1 only). The check's Spark JVMs run with C1 only:
# SPARK_SUBMIT_OPTS, which spark-submit adds to the JVM's options (the image sets none). What a check
# proves does not depend on the JIT tier; the image's defaults are unchanged.
CHECK_JVM = ("SPARK_SUBMIT_OPTS", "-XX:TieredStopAtLevel=1")


SYSTEM_SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")  # where Debian puts update-ca-certificates


def without_sbin(path: str) -> str:
    """PATH without the system's sbin folders (Spark's own, $SPARK_HOME/sbin, stays: its start scripts):
    what a check run's processes run with (Services.path)."""
    return ":".join(d for d in path.split(":") if d and d.rstrip("/") not in SYSTEM_SBIN)


# How long a check's service may take to be ready. Dagger runs a service's healthcheck every
# start_interval and fails the service after `retries` failures once start_period is over: with the
# image's HEALTHCHECK (a 60 s start period, for Docker, which then checks every 30 s) that is 66 s. A
# check run starts about ten JVMs at once (its Connect servers, the cluster's nodes) on 2 cores, beside
# a build or emulated work: from an empty engine cache the shared Connect server missed the 66 s, and
# every check that uses it failed. A check's services get READY_WITHIN instead: the check's own limit
# ends a service that never becomes ready, and one that exits fails at once, as before.
READY_WITHIN = 240
SERVICE_HEALTHCHECK = HEALTHCHECK | {"start_period": f"{READY_WITHIN}s"}


def listening(port: int) -> list[str]:
    """A healthcheck for a service of the image other than JupyterLab: ready when port accepts connections."""
    return ["bash", "-c", f"exec 3<>/dev/tcp/localhost/{port}"]


def ready_when(ctr: dagger.Container, args: list[str], shell: bool = False) -> dagger.Container:
    """ctr as a check's service: ready when args succeeds, timed for a check run (SERVICE_HEALTHCHECK)."""
    return ctr.with_docker_healthcheck(args, shell=shell, **SERVICE_HEALTHCHECK)


async def stop_all(started: list[dagger.Service], limit: float) -> None:
    """A check run's services stopped side by side, killed (nothing in them outlives the check run:
    a graceful stop only makes the checks after them wait), each bounded by limit, whatever the others do."""

    async def stop(service: dagger.Service) -> None:
        with anyio.move_on_after(limit), contextlib.suppress(dagger.DaggerError):
            await service.stop(kill=True)

    async with anyio.create_task_group() as stopping:
        for service in started:
            stopping.start_soon(stop, service)


@dataclass
class Services:
    """One image's services, started once and shared by its checks."""

    image: dagger.Container
    probes: dagger.Directory  # the probe scripts (pipeline/checks/probes of the module's source)
    token: dagger.Secret
    run_id: str
    secrets: dict[str, str]  # SECRETS' values, which no Spark UI may show
    iceberg: bool = False  # the image has the Iceberg catalog: the shared server keeps its file warehouse
    # under emulation: JupyterLab is not bound to the Connect server (its check does not run there,
    # and the server would only slow JupyterLab's start), and the probes' waits are scaled
    emulated: bool = False
    # a container on the engine's own platform with python3, for work on the image's files rather than in
    # it (sizing its archive); None: the image itself
    tools: dagger.Container | None = None
    # PATH for this check run's processes; None: the image's own. Once read (read), the image's without
    # the system's sbin folders (without_sbin): an engine that trusts extra CAs (a TLS-intercepting proxy's, as
    # this network's, or a corporate network's) runs the container's update-ca-certificates, and with it
    # Java's keystore hook, before and after every exec where it finds the command, a service's start and
    # each of its healthcheck's runs included: 3.4-7.5 s an exec on 2 cores beside a check run (0.2-0.4 s
    # without), under QEMU 40-50 s. Without it on PATH the engine only appends its CAs to the bundle.
    # Nothing that runs in these containers ships, nor needs an sbin command (start.sh needs one only
    # started as root to refit the user, which tests/engine/test_any_uid.py proves on the image itself);
    # the image's own files (its bundle and keystore included) are the facts check's, read from the
    # image, not from these.
    path: str | None = None
    # the image's own healthcheck (its args and whether they are a shell command), which JupyterLab's
    # service runs timed for a check run (read); None: not read, the image's as it is
    healthcheck: tuple[list[str], bool] | None = None
    # what names PYCACHE's volume: a digest of the layers the image's Python files come from
    # (checks.python_layers), so that a check run finds the bytecode an earlier one compiled from the same
    # files (Python still checks each against its source's mtime and size); None: this run's own
    pycache_key: str | None = None

    @classmethod
    def for_image(
        cls,
        image: dagger.Container,
        probes: dagger.Directory,
        *,
        iceberg: bool = False,
        tools: dagger.Container | None = None,
        pycache_key: str | None = None,
    ) -> Services:
        run_id = uuid.uuid4().hex
        token = dag.set_secret(f"jupyter-token-{run_id}", uuid.uuid4().hex)
        secrets = {name: uuid.uuid4().hex for name in SECRETS}
        return cls(image, probes, token, run_id, secrets, iceberg, tools=tools, pycache_key=pycache_key)

    @property
    def pycache(self) -> dagger.CacheVolume:
        """PYCACHE's volume: the one of the image's Python files (pycache_key), else this check run's own."""
        return dag.cache_volume(f"check-pycache-{self.pycache_key or self.run_id}")

    def emulate(self) -> Services:
        """These services for an emulated image: the probes' waits scaled."""
        return dataclasses.replace(self, emulated=True)

    async def read(self) -> Services:
        """These services with what they take from the image read: its healthcheck (healthcheck), which
        JupyterLab's service proves, and its PATH, less sbin (path)."""
        path = without_sbin(await self.image.env_variable("PATH") or "/usr/local/bin:/usr/bin:/bin")
        config = self.image.docker_healthcheck()
        try:
            healthcheck = (await config.args(), await config.shell())
        except dagger.InvalidQueryError:  # the image has none (the engine answers null): its port, as before
            healthcheck = None
        return dataclasses.replace(self, healthcheck=healthcheck, path=path)

    def _with_path(self, ctr: dagger.Container) -> dagger.Container:
        return ctr if self.path is None else ctr.with_env_variable("PATH", self.path)

    async def prepare(self) -> None:
        """PYCACHE writable by every uid the checks run as (sticky, as /tmp): before any check starts.
        Only a speed-up: where it fails (an image without chmod), Python compiles as it would anyway."""
        ctr = self._with_path(self.image.with_user("0").with_mounted_cache(PYCACHE, self.pycache))
        with contextlib.suppress(dagger.ExecError):
            await ctr.with_exec(["chmod", "1777", PYCACHE]).sync()

    def container(self) -> dagger.Container:
        """The image for this check run's processes: a fresh service each run, sharing PYCACHE, Spark's
        JVMs with CHECK_JVM."""
        return (
            self._with_path(self.image)
            .with_env_variable("CHECK_RUN", self.run_id)
            .with_mounted_cache(PYCACHE, self.pycache)
            .with_env_variable("PYTHONPYCACHEPREFIX", PYCACHE)
            .with_env_variable(*CHECK_JVM)
        )

    def secret(self, name: str) -> dagger.Secret:
        return dag.set_secret(f"{name.lower()}-{self.run_id}", self.secrets[name])

    def connect_server(self, user: str, *, rest_catalog: bool) -> dagger.Service:
        """The image as a Spark Connect server run as `user` with the credentials of SECRETS;
        rest_catalog: with ICEBERG_REST_URI (on an Iceberg image, the default catalog becomes REST)."""
        ctr = self.container().with_user(user)
        if rest_catalog:
            ctr = ctr.with_env_variable("ICEBERG_REST_URI", REST_URI)
        for name in SECRETS:
            ctr = ctr.with_secret_variable(name, self.secret(name))
        command = f'exec start-connect-server.sh --conf "{CONF_SECRET}=$PROBE_CONF_SECRET"'
        # the image's healthcheck is JupyterLab's; this service is ready when gRPC listens
        ctr = ready_when(ctr.with_exposed_port(15002).with_exposed_port(4040), listening(15002))
        return ctr.as_service(args=["bash", "-c", command], use_entrypoint=True)

    @property
    def connect(self) -> dagger.Service:
        """The shared server: any uid runs it (the spark-connect and Iceberg checks prove it for this one)."""
        return self.connect_server(OTHER_USER, rest_catalog=not self.iceberg)

    @property
    def jupyter(self) -> dagger.Service:
        # as OpenShift runs it: the jupyterlab and spark-connect checks prove it
        ctr = self.container().with_user(OPENSHIFT_USER)
        if not self.emulated:
            ctr = ctr.with_service_binding(CONNECT, self.connect).with_env_variable("SPARK_REMOTE", CONNECT_URL)
        return self.jupyter_server(ctr)

    def jupyter_server(self, ctr: dagger.Container) -> dagger.Service:
        """ctr's JupyterLab by the image's default command at JUPYTER_URL: the check run's token, and
        BASE_URL through NOTEBOOK_ARGS (the documented way to add server options); ready when the image's
        own healthcheck passes (under BASE_URL: the image's healthcheck finds it), timed for a check run."""
        ctr = ctr.with_secret_variable("JUPYTER_TOKEN", self.token)
        ctr = ctr.with_env_variable("NOTEBOOK_ARGS", f"--ServerApp.base_url={BASE_URL}").with_exposed_port(8888)
        if self.healthcheck is not None:
            ctr = ready_when(ctr, *self.healthcheck)
        return ctr.as_service(use_entrypoint=True)

    def runner(
        self, *, jupyter: bool = False, connect: bool = False, inputs: dagger.Directory | None = None
    ) -> dagger.Container:
        """The image as a probe runner, bound to the services asked for; never cached."""
        ctr = self.container().with_mounted_directory("/probes", self.probes)
        if self.emulated:
            ctr = ctr.with_env_variable("PROBE_SLOWDOWN", str(EMULATION_SLOWDOWN))
        if inputs is not None:
            ctr = ctr.with_mounted_directory("/probe-inputs", inputs)
        if connect:
            ctr = ctr.with_service_binding(CONNECT, self.connect)
        if jupyter:
            ctr = ctr.with_service_binding(JUPYTER, self.jupyter).with_secret_variable("JUPYTER_TOKEN", self.token)
        return ctr.with_workdir("/probes")

    async def probe(
        self,
        script: str,
        *args: str,
        jupyter: bool = False,
        connect: bool = False,
        inputs: dagger.Directory | None = None,
    ) -> str:
        """Run a probe script; its stdout is the check's detail, a non-zero exit its failure."""
        ctr = self.runner(jupyter=jupyter, connect=connect, inputs=inputs)
        return await ctr.with_exec(["python", script, *args]).stdout()

    async def replay_log(self, *args: str, seconds: int = 25) -> str:
        """A service's output, for a failure report: Dagger keeps no service logs, so run the
        same command (the image's default with no args) as a plain exec for a few seconds."""
        ctr = self.image.with_env_variable("CHECK_RUN", self.run_id).with_secret_variable("JUPYTER_TOKEN", self.token)
        cmd = ["timeout", str(seconds), *(args or await self.image.default_args())]
        out = ctr.with_exec(cmd, use_entrypoint=True, expect=dagger.ReturnType.ANY)
        return "\n".join((await out.stdout() + await out.stderr()).strip().splitlines()[-20:])
