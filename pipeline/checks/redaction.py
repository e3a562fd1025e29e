"""Redaction check: a Spark Connect server started as a deployment hands it credentials (an Iceberg REST
catalog's credential and token, and a setting named `...credential`, from Dagger secrets: services.py)
answers, and its UI's environment page, read through the service binding, shows none of their values
and lists the settings as redacted (the image's spark.redaction.regex).

The server is the shared one (services.py: as 5000:100, also serving the spark-connect check) on images
without Iceberg, where ICEBERG_REST_URI has no catalog to switch. An Iceberg image's shared server keeps
the file warehouse its iceberg check uses, so there this check starts its own, as 12345:0, whose default
catalog ICEBERG_REST_URI switches to REST: its credential and token then become Spark settings, which
must be redacted too."""

from __future__ import annotations

import dagger
from dagger import dag

from .. import catalog
from .services import CONF_SECRET, CONNECT, CONNECT_UI, CONNECT_URL, OPENSHIFT_USER, OTHER_USER, Services

ICEBERG_KEYS = ("spark.sql.catalog.local.credential", "spark.sql.catalog.local.token")  # spark-conf-from-env's


def server(image: catalog.Image, services: Services) -> dagger.Service:
    """The Connect server whose UI must redact the credentials: the shared one, or (Iceberg) its own."""
    if image.iceberg:
        return services.connect_server(OPENSHIFT_USER, rest_catalog=True)
    return services.connect


async def check(image: catalog.Image, services: Services) -> str:
    listed = dag.set_secret(f"probe-secrets-{services.run_id}", ",".join(services.secrets.values()))
    keys = [CONF_SECRET, *(ICEBERG_KEYS if image.iceberg else ())]
    ctr = services.runner().with_user(OTHER_USER).with_secret_variable("PROBE_SECRETS", listed)
    ctr = ctr.with_service_binding(CONNECT, server(image, services))
    return await ctr.with_exec(["python", "redaction_probe.py", CONNECT_URL, CONNECT_UI, *keys]).stdout()
