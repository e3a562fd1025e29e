"""A notebook on a Spark standalone cluster: a job through Spark Connect and one in client mode, each
proven to have run on both workers from the cluster's own APIs (the master's, each worker's, each
driver's); on an Iceberg image, a table written by the cluster's executors and read back by the
notebook's, with time travel.

usage: JUPYTER_TOKEN=... cluster_probe.py JUPYTER_URL MASTER_UI MASTER_URL CONNECT_UI WORKERS(comma-separated)
       --worker-ui=PORT --app-conf=K=V,... [--driver-conf=K=V ...] [--iceberg]
"""

import argparse
import json
import os
import sys
import time
import uuid

import httpx

from kernel_client import SLOWDOWN, Jupyter

parser = argparse.ArgumentParser()
for name in ("jupyter", "master_ui", "master_url", "connect_ui", "workers"):
    parser.add_argument(name)
parser.add_argument("--worker-ui", type=int, required=True)
parser.add_argument("--app-conf", required=True)
parser.add_argument("--driver-conf", action="append", default=[])
parser.add_argument("--iceberg", action="store_true")
args = parser.parse_args()
workers = sorted(args.workers.split(","))
app_conf = dict(item.split("=", 1) for item in args.app_conf.split(","))
driver_conf = dict(item.split("=", 1) for item in args.driver_conf)


def get(url: str) -> object:
    return httpx.get(url, timeout=10, follow_redirects=True).raise_for_status().json()


def short(host: str) -> str:
    """A host as its first label: what a worker registered with, or the FQDN its executors' Python sees."""
    return host.split(":")[0].split(".")[0]


def master_state(seconds: float = 60) -> dict:
    """The master's state once both workers are alive, or why not."""
    deadline, state = time.monotonic() + seconds * SLOWDOWN, {}
    while time.monotonic() < deadline:
        state = get(f"{args.master_ui}/json/")
        if sorted(short(w["host"]) for w in state["workers"] if w["state"] == "ALIVE") == workers:
            return state
        time.sleep(1)
    sys.exit(f"the master at {args.master_ui} did not list workers {workers} as ALIVE: {state.get('workers')}")


def evidence(driver_ui: str, app_id: str) -> dict:
    """What the cluster says of an application: its executors (its driver's API) and the applications
    whose executors each worker runs (the worker's API)."""
    executors = get(f"{driver_ui}/api/v1/applications/{app_id}/executors")
    running = {w: [e["appid"] for e in get(f"http://{w}:{args.worker_ui}/json/")["executors"]] for w in workers}
    return {"app": app_id, "executors": executors, "workers": running}


def on_both_workers(app_name: str, seen: dict) -> str:
    """One executor of the application on each worker, each with completed tasks, each worker running it;
    a line for the report, or the probe's failure."""
    tasks = {short(e["hostPort"]): e["completedTasks"] for e in seen["executors"] if e["id"] != "driver"}
    if sorted(tasks) != workers or not all(tasks.values()):
        sys.exit(f"{app_name}: completed tasks by executor host {tasks}, expected some on each of {workers}")
    for worker, apps in seen["workers"].items():
        if seen["app"] not in apps:
            sys.exit(f"{app_name}: worker {worker}'s API lists executors of {apps}, not of {seen['app']}")
    return f"{app_name} ({seen['app']}): an executor on each of {', '.join(workers)}, completed tasks {tasks}"


jupyter = Jupyter(args.jupyter, os.environ["JUPYTER_TOKEN"])
jupyter.wait_ready(90)
state = master_state()
print(f"master {args.master_url}: {len(workers)} workers ALIVE ({', '.join(workers)}), status {state['status']}")

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
out = jupyter.execute("pyspark-connect", connect_code, seconds=150)
lines = dict(line.split(" ", 1) for line in out.strip().splitlines() if " " in line)
if "pyspark.sql.connect" not in lines.get("session", "") or lines.get("sum") != "499500":
    sys.exit(f"the Connect kernel's job on the cluster printed {out!r}, expected a Connect session and sum 499500")
apps = {a["name"] for a in master_state()["activeapps"]}
if "Spark Connect server" not in apps:
    sys.exit(f"the master lists applications {sorted(apps)}, not the Spark Connect server")
print(f"pyspark-connect kernel: sum over 8 partitions = 499500 on Spark {lines['session'].split()[1]}")
connect_app = get(f"{args.connect_ui}/api/v1/applications")[0]["id"]
time.sleep(2)  # the driver's API counts a task once its listener has seen it end
print(on_both_workers("Spark Connect server", evidence(args.connect_ui, connect_app)))

builder = "".join(f".config({k!r}, {v!r})" for k, v in app_conf.items())
iceberg_read = (
    (
        f"first = {lines['snapshots'].split()[0]}\n"
        f"print('versions', spark.sql('SELECT count(*) FROM {table} VERSION AS OF ' + str(first)).first()[0],"
        f" spark.table('{table}').count())\n"
    )
    if args.iceberg
    else ""
)
# the kernel gathers its own application's evidence while it runs (its driver's API is in the notebook)
gather = (
    "import time; time.sleep(2)\n"
    "def get(url): return json.load(urllib.request.urlopen(url, timeout=10))\n"
    "app = sc.applicationId\n"
    "seen = {'app': app, 'executors': get(f'{sc.uiWebUrl}/api/v1/applications/{app}/executors'),\n"
    f"        'workers': {{w: [e['appid'] for e in get(f'http://{{w}}:{args.worker_ui}/json/')['executors']]"
    f" for w in {workers!r}}}}}\n"
    "print('evidence', json.dumps(seen))\n"
)
local_code = (
    "import json, socket, urllib.request\n"
    "from pyspark.sql import SparkSession\n"
    f"spark = SparkSession.builder.appName('notebook'){builder}.getOrCreate()\n"
    "sc = spark.sparkContext\n"
    "print('master', sc.master)\n"
    "print('hosts', *sorted(set(sc.parallelize(range(8), 8).map(lambda _: socket.gethostname()).collect())))\n"
    f"print('conf', json.dumps({{k: sc.getConf().get(k) for k in {sorted(driver_conf)!r}}}))\n"
    "print('driver', sc.getConf().get('spark.driver.host'))\n" + iceberg_read + gather
)
out = jupyter.execute("pyspark-local", local_code + "spark.stop()\n", seconds=150)
lines = dict(line.split(" ", 1) for line in out.strip().splitlines() if " " in line)
if lines.get("master") != args.master_url:
    sys.exit(f"the PySpark (local) kernel's session has master {lines.get('master')!r}, expected {args.master_url}")
hosts = sorted(short(h) for h in lines.get("hosts", "").split())
if hosts != workers:
    sys.exit(f"the client-mode job's Python tasks ran on {hosts}, expected {workers}: {out!r}")
conf = json.loads(lines["conf"])
if conf != driver_conf:
    sys.exit(f"the notebook's driver has {conf}, expected the image's {driver_conf}")
seen = json.loads(lines["evidence"])
driver = next(e["hostPort"] for e in seen["executors"] if e["id"] == "driver")
if not driver.endswith(f":{driver_conf['spark.driver.blockManager.port']}"):
    sys.exit(f"the notebook's driver's block manager is at {driver}, not the image's port")
print(f"pyspark-local kernel, client mode on {args.master_url}: Python tasks ran on {', '.join(hosts)}")
print(on_both_workers("the notebook's application", seen))
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
