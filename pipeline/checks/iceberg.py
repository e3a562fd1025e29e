"""Iceberg check: a table's life in the default catalog, through Spark Connect."""

from __future__ import annotations

from .. import catalog
from .result import Skip
from .services import CONNECT_URL, Services


async def check(image: catalog.Image, services: Services) -> str:
    if not image.iceberg:
        raise Skip("not an Iceberg image")
    return await services.probe("iceberg_probe.py", CONNECT_URL, connect=True)
