"""Jupyter + Apache Spark runtime images, as a Dagger module."""

from .main import JupyterSparkImages

__all__ = ["JupyterSparkImages"]
