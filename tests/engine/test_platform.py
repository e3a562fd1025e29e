"""The platform check failing for the right reasons, and docker-stacks' start conventions behaving as
their documentation describes (start.sh, start-notebook.py, hooks, GEN_CERT), on the real engine."""

from __future__ import annotations

import pytest

from pipeline import jupyter_layer, limits, matrix
from pipeline.checks import platform
from pipeline.checks.result import run_check
from pipeline.checks.services import Services

pytestmark = pytest.mark.engine

SITE = "$(python -c 'import sysconfig; print(sysconfig.get_path(\"purelib\"))')"
# three breakages at once: the check reports each (its probes go on after a problem)
BREAK = f"chmod 755 {jupyter_layer.HOME} {SITE} && sed -i '/^spark.redaction.regex/d' {jupyter_layer.SPARK_DEFAULTS}"


async def test_a_home_pip_and_redaction_broken_fail_the_platform_check(build, opts):
    image, ctr = build("4.1.1", "baseline")
    broken = ctr.with_user("root").with_exec(["bash", "-c", BREAK]).with_user("1000:100")
    services = Services.for_image(broken, opts.probes())
    outcome = await run_check("platform", lambda: platform.check(image, services), limits.DEFAULTS["platform"])
    assert outcome.status == "failed", outcome.detail
    assert f"home {jupyter_layer.HOME} is not writable" in outcome.detail
    assert "pip install failed" in outcome.detail
    assert "shows secret" in outcome.detail and "in clear" in outcome.detail


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


async def test_started_as_root_start_sh_refits_the_user_runs_hooks_and_drops_privileges(build):
    _, ctr = build("4.1.1", "baseline")
    ctr = ctr.with_user("root")
    for path, (text, mode) in HOOKS.items():
        ctr = ctr.with_new_file(f"/usr/local/bin/{path}", text, permissions=mode)
    env = {
        "NB_USER": "alice",
        "NB_UID": "2000",
        "NB_GID": "2000",
        "CHOWN_HOME": "yes",
        "NB_UMASK": "0002",
        "SECRET_A": "x",
        "JUPYTER_ENV_VARS_TO_UNSET": "SECRET_A",
    }
    for name, value in env.items():
        ctr = ctr.with_env_variable(name, value)
    out = await ctr.with_exec(["bash", "-c", REPORT], use_entrypoint=True).stdout()
    first, *hooks = out.strip().splitlines()
    assert first == (
        "id=2000:2000 name=alice home=/home/alice umask=0002 hook=set unset=unset pwd=/home/alice/work owner=2000:2000"
    )
    assert hooks == ["start-hook 0", "before-hook 0", "exec-hook"]  # as root; failed and non-executable ones skipped


async def test_an_arbitrary_uid_gets_a_passwd_entry_and_the_hooks_run_as_it(build):
    _, ctr = build("4.1.1", "baseline")
    ctr = ctr.with_user("root")
    for path, (text, mode) in HOOKS.items():
        ctr = ctr.with_new_file(f"/usr/local/bin/{path}", text, permissions=mode)
    out = await ctr.with_user("12345:0").with_exec(["bash", "-c", REPORT], use_entrypoint=True).stdout()
    first, *hooks = out.strip().splitlines()
    assert first.startswith("id=12345:0 name=jovyan home=/home/jovyan umask=0022 hook=set unset=unset")
    assert hooks == ["start-hook 12345", "before-hook 12345", "exec-hook"]


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
        "lab": matrix.JUPYTERLAB_VERSION,
        "server": server.strip(),
        "hub": matrix.JUPYTERHUB_VERSION,  # start-singleuser.py ran jupyterhub-singleuser
    }


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
