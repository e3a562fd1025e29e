"""The any-uid check failing for the right reasons, and docker-stacks' start conventions behaving as
their documentation describes (start.sh, start-notebook.py, hooks, GEN_CERT), on the real engine."""

from __future__ import annotations

import dagger
import pytest

from pipeline import jupyter_layer, limits, paths, product
from pipeline.checks import any_uid, redaction
from pipeline.checks.result import run_check
from pipeline.checks.services import CONF_SECRET, Services

pytestmark = pytest.mark.engine

SITE = "$(python -c 'import sysconfig; print(sysconfig.get_path(\"purelib\"))')"
# three breakages at once: the check reports each (its probes go on after a problem); NSS without the
# entries start.sh adds: a process exec'd into the container has no passwd entry, and Java no home
BREAK = f"chmod 755 {jupyter_layer.HOME} {SITE} && sed -i 's/ cache$//' /etc/nsswitch.conf"


async def test_a_home_and_pip_broken_fail_the_any_uid_check(build, opts):
    image, ctr = build("4.1.1", "baseline")
    broken = ctr.with_user("root").with_exec(["bash", "-c", BREAK]).with_user(paths.NOTEBOOK_USER)
    services = Services.for_image(broken, opts.probes())
    outcome = await run_check("any-uid", lambda: any_uid.check(image, services), limits.DEFAULTS["any-uid"])
    assert outcome.status == "failed", outcome.detail
    assert f"home {jupyter_layer.HOME} is not writable" in outcome.detail
    assert "pip install failed" in outcome.detail
    assert "uid 12345:0: no passwd entry" in outcome.detail and "uid 5000:100: no passwd entry" in outcome.detail
    assert "uid 12345:0: Java's user.home is '?'" in outcome.detail


@pytest.mark.parametrize(("spark", "variant"), [("4.1.1", "baseline"), ("3.5.7", "iceberg")])
async def test_a_spark_that_does_not_redact_credentials_fails_the_redaction_check(build, opts, spark, variant):
    """Both servers the check uses: the shared one, and an Iceberg image's own with the REST catalog."""
    image, ctr = build(spark, variant)
    unredacted = f"sed -i '/^spark.redaction.regex/d' {jupyter_layer.SPARK_DEFAULTS}"
    broken = ctr.with_user("root").with_exec(["bash", "-c", unredacted]).with_user(paths.NOTEBOOK_USER)
    services = Services.for_image(broken, opts.probes(), iceberg=image.iceberg)
    outcome = await run_check("redaction", lambda: redaction.check(image, services), limits.DEFAULTS["redaction"])
    assert outcome.status == "failed", outcome.detail
    assert "shows secret" in outcome.detail and "in clear" in outcome.detail, outcome.detail
    # Spark's own regex still hides `...token`: the image's adds `credential`
    keys = [CONF_SECRET, *(redaction.ICEBERG_KEYS if image.iceberg else ())]
    shown = sorted(key for key in keys if key.endswith(".credential"))
    assert f"settings not shown as redacted: {shown}" in outcome.detail, outcome.detail


HOOKS = {
    "start-notebook.d/10-first.sh": ("echo start-hook $(id -u) >> /tmp/hooks\n", 0o644),
    "before-notebook.d/20-env.sh": ("export HOOK_VAR=set; echo before-hook $(id -u) >> /tmp/hooks\n", 0o644),
    "before-notebook.d/30-exec": ("#!/bin/sh\necho exec-hook >> /tmp/hooks\n", 0o755),
    "before-notebook.d/40-not-executable": ("#!/bin/sh\necho must-not-run >> /tmp/hooks\n", 0o644),
    "before-notebook.d/50-fails.sh": ("false\n", 0o644),
}
REPORT = (
    'echo "id=$(id -u):$(id -g) name=$(id -un) home=$HOME umask=$(umask) hook=${HOOK_VAR:-} '
    'unset=${SECRET_A:-unset} pwd=$PWD owner=$(stat -L -c %u:%g /home/$(id -un))"; cat /tmp/hooks'
)


def with_env(ctr, env: dict[str, str]):
    for name, value in env.items():
        ctr = ctr.with_env_variable(name, value)
    return ctr


def with_hooks(ctr):
    ctr = ctr.with_user("root")
    for path, (text, mode) in HOOKS.items():
        ctr = ctr.with_new_file(f"/usr/local/bin/{path}", text, permissions=mode)
    return ctr


async def test_started_as_root_start_sh_refits_the_user_runs_hooks_and_drops_privileges(build):
    _, ctr = build("4.1.1", "baseline")
    ctr = with_hooks(ctr)
    env = {
        "NB_USER": "alice",
        "NB_UID": "2000",
        "NB_GID": "2000",
        "CHOWN_HOME": "yes",
        "NB_UMASK": "0002",
        "SECRET_A": "x",
        "JUPYTER_ENV_VARS_TO_UNSET": "SECRET_A",
    }
    run = with_env(ctr, env).with_exec(["bash", "-c", REPORT], use_entrypoint=True)
    first, *hooks = (await run.stdout()).strip().splitlines()
    assert first == (
        "id=2000:2000 name=alice home=/home/alice umask=0002 hook=set unset=unset pwd=/home/alice/work owner=2000:2000"
    )
    assert hooks == ["start-hook 0", "before-hook 0", "exec-hook"]  # as root; failed and non-executable ones skipped
    # docker-stacks' log lines, which its docs and users' scripts look for
    said = await run.stderr()
    assert "Entered start.sh with args: bash -c" in said
    assert "Update alice's UID:GID to 2000:2000" in said
    assert "Running as alice: bash -c" in said


async def test_rootless_root_runs_the_command_as_root_with_home_slash_home_slash_root(build):
    # rootless Podman's way (docker-stacks' docs): root in the container is the user outside
    _, ctr = build("4.1.1", "baseline")
    ctr = with_hooks(ctr)
    ctr = with_env(ctr, {"NB_USER": "root", "NB_UID": "0", "NB_GID": "0"})
    run = ctr.with_exec(["bash", "-c", REPORT + "; getent passwd root"], use_entrypoint=True)
    first, *rest = (await run.stdout()).strip().splitlines()
    assert first.startswith("id=0:0 name=root home=/home/root umask=0022 hook=set unset=unset pwd=/home/root/work ")
    assert rest == ["start-hook 0", "before-hook 0", "exec-hook", "root:x:0:0:root:/home/root:/bin/bash"]
    assert "Running as root: bash -c" in await run.stderr()


async def test_start_sh_runs_once_when_also_given_as_the_command(build):
    # `docker run IMAGE start.sh CMD` (older docs): the hooks run once, and start.sh says why it did not run again
    _, ctr = build("4.1.1", "baseline")
    ctr = with_hooks(ctr).with_user(paths.NOTEBOOK_USER)
    run = ctr.with_exec(["start.sh", "bash", "-c", "cat /tmp/hooks"], use_entrypoint=True)
    assert (await run.stdout()).split() == ["start-hook", "1000", "before-hook", "1000", "exec-hook"]
    said = await run.stderr()
    assert said.count("WARNING: start.sh is the default ENTRYPOINT, do not include it in CMD") == 1
    assert "Executing the command: bash -c cat /tmp/hooks" in said


async def test_an_arbitrary_uid_gets_a_passwd_entry_and_the_hooks_run_as_it(build):
    _, ctr = build("4.1.1", "baseline")
    run = with_hooks(ctr).with_user("12345:0").with_exec(["bash", "-c", REPORT], use_entrypoint=True)
    first, *hooks = (await run.stdout()).strip().splitlines()
    assert first.startswith("id=12345:0 name=jovyan home=/home/jovyan umask=0022 hook=set unset=unset")
    assert hooks == ["start-hook 12345", "before-hook 12345", "exec-hook"]
    said = await run.stderr()
    assert "There is no entry in /etc/passwd for our UID=12345. Attempting to fix..." in said
    assert "Executing the command: bash -c" in said


# A process exec'd into a running container (docker exec, kubectl exec, oc rsh) is not start.sh's child
# and has only the image's environment: the container starts (start.sh runs as the uid), then a second
# exec runs without the entrypoint, in the filesystem the first left.
EXECD = """
getent passwd "$(id -u)" | cut -d: -f1,3,4,6
java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *user.home = /user.home=/p'
cd /tmp && python - <<'PY' 2>/dev/null
from pyspark.sql import SparkSession
spark = SparkSession.builder.master("local[1]").getOrCreate()
print("spark", spark.range(7).count(), spark.sparkContext.sparkUser())
spark.stop()
PY
"""


@pytest.mark.parametrize("user", ["12345:0", "5000:100"])
async def test_a_process_execd_into_a_container_under_any_uid_has_a_passwd_entry_and_runs_spark(build, user):
    _, ctr = build("4.1.1", "baseline")
    started = ctr.with_user(user).with_exec(["true"], use_entrypoint=True)
    out = await started.with_exec(["bash", "-c", EXECD]).stdout()
    uid, gid = user.split(":")
    assert out.split() == [f"jovyan:{uid}:{gid}:/home/jovyan", "user.home=/home/jovyan", "spark", "7", "jovyan"]
    # without the container's start, the same process has no entry: what start.sh wrote is what it sees
    never_started = await ctr.with_user(user).with_exec(["bash", "-c", "getent passwd $(id -u) || echo none"]).stdout()
    assert never_started.strip() == "none"


# Why that is safe: /etc/passwd stays root's and read-only; NSS reads it first, so the file the uid
# wrote can only add names, never change an existing user (a forged root line is ignored), another
# uid cannot replace or edit it (sticky folder), and no set-uid or set-gid program is left to use an entry with.
FORGE = f"""
stat -c '%U %a' /etc/passwd; test -w /etc/passwd && echo "/etc/passwd writable"
echo 'root:x:0:0:forged:/tmp/evil:/bin/sh' >>{paths.EXTRA_USERS}/passwd
getent passwd root; getent passwd 0
find / -xdev -type f -perm /6000 2>/dev/null | sed 's/^/set-id: /'
"""
OTHER_UID = f"""
echo x >>{paths.EXTRA_USERS}/passwd 2>/dev/null && echo edited
echo 'jovyan:x:5000:100::/tmp:/bin/sh' >/tmp/passwd
mv -f /tmp/passwd {paths.EXTRA_USERS}/passwd 2>/dev/null && echo replaced
getent passwd 12345
"""


async def test_the_added_passwd_entry_cannot_change_other_users_or_gain_privileges(build):
    _, ctr = build("4.1.1", "baseline")
    started = ctr.with_user("12345:0").with_exec(["true"], use_entrypoint=True)
    out = await started.with_exec(["bash", "-c", FORGE]).stdout()
    assert out.strip().splitlines() == ["root 644", *["root:x:0:0:root:/root:/bin/bash"] * 2]  # no set-id line
    other = await started.with_user("5000:100").with_exec(["bash", "-c", OTHER_UID]).stdout()
    assert other.strip() == "jovyan:x:12345:0:jovyan:/home/jovyan:/bin/bash"


async def test_start_notebook_py_follows_docker_stacks_jupyter_cmd_and_hands_over_to_jupyterhub(build):
    _, ctr = build("4.1.1", "baseline")
    server = await ctr.with_exec(["python", "-c", "import jupyter_server; print(jupyter_server.__version__)"]).stdout()
    versions = {}
    for name, env in {
        "lab": {},
        "server": {"DOCKER_STACKS_JUPYTER_CMD": "server"},
        "hub": {"JUPYTERHUB_API_TOKEN": "not-used-by---version"},
    }.items():
        run = ctr
        for key, value in env.items():
            run = run.with_env_variable(key, value)
        versions[name] = (await run.with_exec(["start-notebook.py", "--version"], use_entrypoint=True).stdout()).strip()
    assert versions == {
        "lab": product.JUPYTERLAB_VERSION,
        "server": server.strip(),
        "hub": product.JUPYTERHUB_VERSION,  # start-singleuser.py ran jupyterhub-singleuser
    }


@pytest.mark.parametrize("subcommand", ["notebook", "nbclassic"])
async def test_a_jupyter_cmd_the_image_lacks_is_said_plainly_not_a_server_that_dies(build, subcommand):
    _, ctr = build("4.1.1", "baseline")
    run = ctr.with_env_variable("DOCKER_STACKS_JUPYTER_CMD", subcommand)
    with pytest.raises(dagger.ExecError) as failed:
        await run.with_exec(["start-notebook.py"], use_entrypoint=True).sync()
    assert failed.value.exit_code == 2
    assert f"DOCKER_STACKS_JUPYTER_CMD={subcommand}: `jupyter {subcommand}` is not in this image" in failed.value.stderr
    assert "use lab (the default) or server" in failed.value.stderr


# The image's HEALTHCHECK command as docker runs it (exec'd into the container, as the container's user,
# with its environment) while the server runs, then after the server stopped.
HEALTH = """
start.sh {server} >/tmp/server.log 2>&1 &
server=$!
for _ in $(seq 90); do
  if "$@" >/tmp/health 2>&1; then echo "healthy $(cat /tmp/health)"; break; fi
  sleep 1
done
grep -q '^healthy' /tmp/health || {{ echo "never healthy: $(cat /tmp/health)"; tail -5 /tmp/server.log; }}
kill $server; wait $server  # start.sh execs the server: the same process
"$@" >/dev/null 2>&1; echo "stopped $?"
"""
DEAD_PROXY = "http://127.0.0.1:9"  # a proxy from the environment is not used: the server is asked directly
HEALTH_CASES = {  # user, environment, server command, the URL the healthcheck asks
    "base-url": (
        "1000:100",
        {},
        "start-notebook.py --ServerApp.base_url=/user/alice/",
        "localhost:8888/user/alice/api",
    ),
    "gen-cert": (
        "12345:0",
        {"GEN_CERT": "yes", "https_proxy": DEAD_PROXY},
        "start-notebook.py",
        "https://localhost:8888/api",
    ),
    "port": (
        "1000:100",
        {"JUPYTER_PORT": "9999", "http_proxy": DEAD_PROXY},
        "start-notebook.py",
        "http://localhost:9999/api",
    ),
    "root-starts-alice": (
        "root",
        {"NB_USER": "alice"},
        "start-notebook.py --ServerApp.base_url=/x/",
        "localhost:8888/x/api",
    ),
}


@pytest.mark.parametrize("case", HEALTH_CASES)
async def test_the_healthcheck_follows_the_server_to_its_url_and_fails_once_it_stopped(build, case):
    _, ctr = build("4.1.1", "baseline")
    user, env, server, url = HEALTH_CASES[case]
    health = await ctr.docker_healthcheck().args()
    ctr = with_env(ctr.with_user(user), env)
    out = await ctr.with_exec(["bash", "-c", HEALTH.format(server=server), "health", *health]).stdout()
    healthy, stopped = out.strip().splitlines()
    assert healthy.startswith("healthy healthy: ") and healthy.endswith(url), out
    assert stopped == "stopped 1"


LISTENS = """
start-notebook.py >/tmp/server.log 2>&1 &
for _ in $(seq 60); do /etc/jupyter/docker_healthcheck.py >/dev/null 2>&1 && break; sleep 1; done
python - <<'PY'
import socket
for host in ("127.0.0.1", "::1"):
    try:
        socket.create_connection((host, 8888), timeout=5).close()
        print(host, "answers")
    except OSError as err:
        print(host, type(err).__name__)
PY
"""


async def test_the_server_listens_on_ipv4_and_ipv6(build):
    _, ctr = build("4.1.1", "baseline")
    loopbacks = await ctr.with_exec(["bash", "-c", "grep -c '^0*1 ' /proc/net/if_inet6 || true"]).stdout()
    if loopbacks.strip() in ("", "0"):
        pytest.skip("the engine's container network has no IPv6 loopback")
    out = await ctr.with_exec(["bash", "-c", LISTENS]).stdout()
    assert out.strip().splitlines() == ["127.0.0.1 answers", "::1 answers"]


GEN_CERT = """
start-notebook.py >/tmp/jupyter.log 2>&1 &
for _ in $(seq 60); do
  if curl -fsk -o /dev/null https://localhost:8888/api; then
    curl -fs -o /dev/null http://localhost:8888/api && { echo "plain HTTP answered"; exit 1; }
    openssl s_client -connect localhost:8888 </dev/null 2>/dev/null | openssl x509 -noout -subject; exit 0
  fi
  sleep 1
done
cat /tmp/jupyter.log; exit 1
"""


async def test_gen_cert_serves_https_with_a_generated_certificate(build):
    _, ctr = build("4.1.1", "baseline")
    out = (
        await ctr.with_env_variable("GEN_CERT", "yes").with_exec(["bash", "-c", GEN_CERT], use_entrypoint=True).stdout()
    )
    assert "CN = generated" in out or "CN=generated" in out


PLOT = """
import matplotlib, numpy
matplotlib.use("Agg")
import matplotlib.pyplot as plt
plt.plot(numpy.arange(10))
plt.savefig("/tmp/plot.png")
print(numpy.__version__, open("/tmp/plot.png", "rb").read(4) == b"\\x89PNG")
"""


async def test_matplotlib_is_one_pip_install_away_for_an_arbitrary_uid(build):
    # the documented step, as OpenShift runs the image; PIP_CONSTRAINT keeps the locked numpy (needs PyPI)
    _, ctr = build("4.1.1", "baseline")
    locked = (await ctr.with_exec(["python", "-c", "import numpy; print(numpy.__version__)"]).stdout()).strip()
    user = ctr.with_user("12345:0")
    user = user.with_exec(["python", "-m", "pip", "install", "-q", "matplotlib"], use_entrypoint=True)
    out = await user.with_exec(["python", "-c", PLOT], use_entrypoint=True).stdout()
    assert out.strip().splitlines()[-1] == f"{locked} True"


# The rest of docs/images.md's conventions table, each row it says "yes" to
async def test_the_other_start_conventions_of_the_readme_table(build):
    _, ctr = build("4.1.1", "baseline")
    root = ctr.with_user("root").with_exec(["mkdir", "-p", "/tmp/extra/a", "/tmp/other"])
    root = root.with_exec(["touch", "/tmp/extra/a/f"])
    env = {
        "NB_USER": "bob",
        "NB_UID": "3000",
        "NB_GID": "3000",
        "NB_GROUP": "team",
        "CHOWN_HOME": "1",
        "CHOWN_HOME_OPTS": "-R",
        "CHOWN_EXTRA": "/tmp/extra,/tmp/other",
        "CHOWN_EXTRA_OPTS": "-R",
        "GRANT_SUDO": "yes",
    }
    root = with_env(root, env)
    script = 'echo "$(stat -c %u:%g /home/bob/work /tmp/extra/a/f /tmp/other | tr "\\n" " ")$(id -gn)"'
    run = root.with_exec(["bash", "-c", script], use_entrypoint=True)
    assert (await run.stdout()).split() == ["3000:3000"] * 3 + ["team"]  # CHOWN_*_OPTS=-R reached the files below
    assert "WARNING: GRANT_SUDO: this image has no sudo; not granted" in await run.stderr()

    # the shims and NOTEBOOK_ARGS
    args = ctr.with_env_variable("NOTEBOOK_ARGS", "--version")
    assert (await args.with_exec(["start-notebook.sh"], use_entrypoint=True).stdout()).strip() == (
        product.JUPYTERLAB_VERSION
    )
    assert (await args.with_exec(["start-singleuser.sh"], use_entrypoint=True).stdout()).strip() == (
        product.JUPYTERHUB_VERSION
    )

    # without root: NB_* changes and RESTARTABLE warn; JUPYTER_DOCKER_STACKS_QUIET keeps only the warnings
    user = ctr.with_env_variable("NB_UID", "2000").with_env_variable("RESTARTABLE", "yes")
    said = await user.with_exec(["start-notebook.py", "--version"], use_entrypoint=True).stderr()
    assert "WARNING: NB_UID=2000 needs the container to start as root (--user root); running as 1000" in said
    assert "WARNING: RESTARTABLE is not supported by this image; ignored" in said
    assert "Executing the command: start-notebook.py --version" in said
    quiet = user.with_env_variable("JUPYTER_DOCKER_STACKS_QUIET", "1")
    said = await quiet.with_exec(["start-notebook.py", "--version"], use_entrypoint=True).stderr()
    assert "WARNING: NB_UID=2000 needs" in said and "Executing the command" not in said and "Entered" not in said
