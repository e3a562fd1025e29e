"""Spark Connect check: the Connect kernel in JupyterLab works on the image's own Connect server."""

from __future__ import annotations

from .. import catalog
from .services import CONNECT_UI, CONNECT_URL, JUPYTER_URL, Services


async def check(image: catalog.Image, services: Services) -> str:  # noqa: ARG001 - same for every image
    return await services.probe("connect_probe.py", JUPYTER_URL, CONNECT_URL, CONNECT_UI, jupyter=True, connect=True)
