"""A notebook on a Spark standalone cluster: a job through Spark Connect and one in client mode, each
proven to have run on both workers from the cluster's own APIs (the master's, each worker's, each
driver's); on an Iceberg image, a table written by the cluster's executors and read back by the
notebook's, with time travel.

Workers are known by the addresses they register with (the master's API); their executors' Python tasks
report each worker's name (CHECK_WORKER, the WORKERS argument).

usage: JUPYTER_TOKEN=... cluster_probe.py JUPYTER_URL MASTER_UI MASTER_URL CONNECT_UI WORKERS(comma-separated)
       --app-conf=K=V,... [--driver-conf=K=V ...] [--iceberg]
"""

import argparse
import json
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from kernel_client import SLOWDOWN, Jupyter

parser = argparse.ArgumentParser()
for name in ("jupyter", "master_ui", "master_url", "connect_ui", "workers"):
    parser.add_argument(name)
parser.add_argument("--app-conf", required=True)
parser.add_argument("--driver-conf", action="append", default=[])
parser.add_argument("--iceberg", action="store_true")
args = parser.parse_args()
names = sorted(args.workers.split(","))
app_conf = dict(item.split("=", 1) for item in args.app_conf.split(","))
driver_conf = dict(item.split("=", 1) for item in args.driver_conf)


def get(url: str) -> object:
    return httpx.get(url, timeout=10, follow_redirects=True).raise_for_status().json()


def host(address: str) -> str:
    return address.rsplit(":", 1)[0]


def master_state(seconds: float = 60) -> dict:
    """The master's state once all the workers are alive, or why not."""
    deadline, state = time.monotonic() + seconds * SLOWDOWN, {}
    while time.monotonic() < deadline:
        state = get(f"{args.master_ui}/json/")
        if len([w for w in state["workers"] if w["state"] == "ALIVE"]) == len(names):
            return state
        time.sleep(1)
    sys.exit(f"the master at {args.master_ui} did not list {len(names)} workers as ALIVE: {state.get('workers')}")


state = master_state()
workers = sorted(w["host"] for w in state["workers"] if w["state"] == "ALIVE")  # their addresses
worker_uis = {w["host"]: w["webuiaddress"] for w in state["workers"] if w["state"] == "ALIVE"}


def evidence(driver_ui: str, app_id: str) -> dict:
    """What the cluster says of an application: its executors (its driver's API) and the applications
    whose executors each worker runs (the worker's API)."""
    executors = get(f"{driver_ui}/api/v1/applications/{app_id}/executors")
    running = {w: [e["appid"] for e in get(f"{ui}/json/")["executors"]] for w, ui in worker_uis.items()}
    return {"app": app_id, "executors": executors, "workers": running}


def tasks_by_host(seen: dict) -> dict[str, int]:
    return {host(e["hostPort"]): e["completedTasks"] for e in seen["executors"] if e["id"] != "driver"}


def on_both_workers(app_name: str, seen: dict) -> str | None:
    """Why the application is not yet seen on both workers (one executor on each, each with completed
    tasks, each worker running it), or None."""
    tasks = tasks_by_host(seen)
    if sorted(tasks) != workers or not all(tasks.values()):
        return f"{app_name}: completed tasks by executor host {tasks}, expected some on each of {workers}"
    for worker, apps in seen["workers"].items():
        if seen["app"] not in apps:
            return f"{app_name}: worker {worker}'s API lists executors of {apps}, not of {seen['app']}"
    return None


def proven_on_both_workers(app_name: str, seen: dict) -> str:
    """The report's line for an application seen on both workers, or the probe's failure."""
    if why := on_both_workers(app_name, seen):
        sys.exit(why)
    on = ", ".join(workers)
    return f"{app_name} ({seen['app']}): an executor on each of {on}, completed tasks {tasks_by_host(seen)}"


def executors_on_both_workers(driver_ui: str, seconds: float = 120) -> None:
    """Wait until the driver's application has an executor registered on each worker: its scheduler waits
    for them (minRegisteredResourcesRatio) only so long after the driver started, which a server started
    well before its first job, on a loaded machine, may have passed."""
    deadline, hosts = time.monotonic() + seconds * SLOWDOWN, []
    while time.monotonic() < deadline:
        try:
            for app in get(f"{driver_ui}/api/v1/applications"):
                executors = get(f"{driver_ui}/api/v1/applications/{app['id']}/executors")
                hosts = sorted(host(e["hostPort"]) for e in executors if e["id"] != "driver")
            if hosts == workers:
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(1)
    sys.exit(f"{driver_ui}: executors registered on {hosts} within {seconds:.0f}s, expected one on each of {workers}")


# the notebook's client-mode session (the driver is its kernel) reports its jobs' evidence while it runs
# (its driver's API is in the notebook; that API counts a task once its listener has seen it end: up to
# 20 s for every executor's)
builder = "".join(f".config({k!r}, {v!r})" for k, v in app_conf.items())
gather = (
    "import time\n"
    "def get(url): return json.load(urllib.request.urlopen(url, timeout=10))\n"
    "app = sc.applicationId\n"
    "for _ in range(20):\n"
    "    executors = get(f'{sc.uiWebUrl}/api/v1/applications/{app}/executors')\n"
    "    if all(e['completedTasks'] for e in executors if e['id'] != 'driver'): break\n"
    "    time.sleep(1)\n"
    f"uis = {worker_uis!r}\n"
    "running = {w: [e['appid'] for e in get(ui + '/json/')['executors']] for w, ui in uis.items()}\n"
    "seen = {'app': app, 'executors': executors, 'workers': running}\n"
    "print('evidence', json.dumps(seen))\n"
)
local_code = (
    "import json, os, urllib.request\n"
    "from pyspark.sql import SparkSession\n"
    f"spark = SparkSession.builder.appName('notebook'){builder}.getOrCreate()\n"
    "sc = spark.sparkContext\n"
    "print('master', sc.master)\n"
    "ran = sc.parallelize(range(8), 8).map(lambda _: os.environ.get('CHECK_WORKER', '?')).collect()\n"
    "print('hosts', *sorted(set(ran)))\n"
    f"print('conf', json.dumps({{k: sc.getConf().get(k) for k in {sorted(driver_conf)!r}}}))\n"
    "print('driver', sc.getConf().get('spark.driver.host'))\n" + gather
)

table = f"local.cluster.t_{uuid.uuid4().hex[:8]}"
iceberg_write = (
    (
        "spark.sql('CREATE NAMESPACE IF NOT EXISTS local.cluster')\n"
        f"spark.sql('CREATE TABLE {table} (id BIGINT, name STRING) USING iceberg')\n"
        f"spark.sql(\"INSERT INTO {table} VALUES (1, 'a'), (2, 'b')\")\n"
        f"spark.sql(\"INSERT INTO {table} VALUES (3, 'c')\")\n"
        f"snaps = spark.sql('SELECT snapshot_id FROM {table}.snapshots ORDER BY committed_at').collect()\n"
        "print('snapshots', *(r[0] for r in snaps))\n"
    )
    if args.iceberg
    else ""
)
connect_code = (
    "from pyspark.sql import SparkSession\n"
    "spark = SparkSession.builder.getOrCreate()\n"
    "print('session', type(spark).__module__, spark.version)\n"
    "print('sum', spark.range(0, 1000, 1, 8).selectExpr('sum(id)').first()[0])\n" + iceberg_write
)


def through_connect() -> dict[str, str]:
    """The Connect kernel's job on the cluster, proven from the Connect server's driver and the workers;
    its output's lines by their first word."""
    executors_on_both_workers(args.connect_ui)
    out = jupyter.execute("pyspark-connect", connect_code, seconds=150)
    lines = dict(line.split(" ", 1) for line in out.strip().splitlines() if " " in line)
    if "pyspark.sql.connect" not in lines.get("session", "") or lines.get("sum") != "499500":
        sys.exit(f"the Connect kernel's job on the cluster printed {out!r}, expected a Connect session and sum 499500")
    apps = {a["name"] for a in master_state()["activeapps"]}
    if "Spark Connect server" not in apps:
        sys.exit(f"the master lists applications {sorted(apps)}, not the Spark Connect server")
    print(f"pyspark-connect kernel: sum over 8 partitions = 499500 on Spark {lines['session'].split()[1]}")
    connect_app = get(f"{args.connect_ui}/api/v1/applications")[0]["id"]
    deadline = time.monotonic() + 20 * SLOWDOWN  # as the notebook's evidence (gather)
    while on_both_workers("Spark Connect server", seen := evidence(args.connect_ui, connect_app)):
        if time.monotonic() > deadline:
            break
        time.sleep(1)
    print(proven_on_both_workers("Spark Connect server", seen))
    return lines


jupyter = Jupyter(args.jupyter, os.environ["JUPYTER_TOKEN"])
jupyter.wait_ready(90)
print(f"master {args.master_url} ({state['url']}): {len(workers)} workers ALIVE ({', '.join(workers)})")

# The two applications side by side (each worker has room for one executor of each): the notebook's
# session starts while the Connect kernel's job runs. On an Iceberg image the notebook then reads back
# the table that job wrote.
with ThreadPoolExecutor(1) as beside, jupyter.kernel("pyspark-local") as notebook:  # a failure ends the kernel first
    client_mode = beside.submit(jupyter.run, notebook, local_code, 150)
    connect_lines = through_connect()
    out = client_mode.result()
    if args.iceberg:
        first = connect_lines["snapshots"].split()[0]
        out += jupyter.run(
            notebook,
            f"print('versions', spark.sql('SELECT count(*) FROM {table} VERSION AS OF {first}').first()[0],"
            f" spark.table('{table}').count())\n",
            seconds=60,
        )
    jupyter.run(notebook, "spark.stop()\n", seconds=60)
lines = dict(line.split(" ", 1) for line in out.strip().splitlines() if " " in line)
if lines.get("master") != args.master_url:
    sys.exit(f"the PySpark (local) kernel's session has master {lines.get('master')!r}, expected {args.master_url}")
hosts = sorted(lines.get("hosts", "").split())
if hosts != names:
    sys.exit(f"the client-mode job's Python tasks ran on workers {hosts}, expected {names}: {out!r}")
conf = json.loads(lines["conf"])
if conf != driver_conf:
    sys.exit(f"the notebook's driver has {conf}, expected the image's {driver_conf}")
seen = json.loads(lines["evidence"])
driver = next(e["hostPort"] for e in seen["executors"] if e["id"] == "driver")
if not driver.endswith(f":{driver_conf['spark.driver.blockManager.port']}"):
    sys.exit(f"the notebook's driver's block manager is at {driver}, not the image's port")
print(f"pyspark-local kernel, client mode on {args.master_url}: Python tasks ran on {', '.join(hosts)}")
print(proven_on_both_workers("the notebook's application", seen))
print(f"the notebook's driver at {lines['driver']}, ports {conf}: the executors called back there")
if args.iceberg:
    first, now = lines.get("versions", "").split() or ("?", "?")
    if (first, now) != ("2", "3"):
        sys.exit(
            f"{table}, written through the Connect server, read back by the notebook: {first} rows at the "
            f"first snapshot and {now} now, expected 2 and 3"
        )
    print(
        f"iceberg: {table} written by the cluster's executors (2 snapshots), read back by the notebook's: "
        "2 rows VERSION AS OF the first snapshot, 3 now"
    )
