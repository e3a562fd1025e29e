"""The Dagger module: thin functions over pipeline.py. `dagger call <function>` and
`python -m pipeline <function>` run the same code."""

from __future__ import annotations

import json
from typing import Annotated

import dagger
from dagger import Doc, function, object_type

from . import images, matrix, pipeline, recipe
from . import spark_base as spark_base_layer
from .dockerfiles import render_all


@object_type
class JupyterSparkImages:
    """Jupyter + Apache Spark runtime images: built, checked in the engine, shipped only if they pass."""

    debian_mirror: Annotated[str, Doc("Debian archive mirror URL (default: deb.debian.org)")] = ""
    pypi_files: Annotated[str, Doc("base URL of PyPI's files, for the pyspark sdists")] = matrix.PYPI_FILES
    pip_index_url: Annotated[str, Doc("pip index URL (default: PyPI)")] = ""
    maven_repo: Annotated[str, Doc("Maven repository URL for the Iceberg, RAPIDS, Connect jars")] = matrix.MAVEN_CENTRAL
    ca_bundle: Annotated[
        dagger.File | None, Doc("CA bundle (PEM) trusted while building: curl adds it, pip uses it alone; not kept")
    ] = None

    def options(self) -> recipe.BuildOptions:
        """The object's mirror and CA settings as build options (not a Dagger function)."""
        return recipe.BuildOptions(
            self.debian_mirror, self.pypi_files, self.pip_index_url, self.maven_repo, self.ca_bundle
        )

    @function
    def build(
        self,
        spark_version: Annotated[str, Doc("Spark version, e.g. 4.1.1")],
        variant: Annotated[str, Doc("baseline, gpu, iceberg or gpu-iceberg")] = "baseline",
        spark_image: Annotated[str, Doc("your own Spark base image address instead of ours")] = "",
    ) -> dagger.Container:
        """Build one image of the matrix (not checked: `test` checks)."""
        image = matrix.image(spark_version, variant)
        base = images.from_address(spark_image) if spark_image else None
        return pipeline.container(image, self.options(), base)

    @function
    def spark_base(self, spark_version: Annotated[str, Doc("Spark version, e.g. 4.1.1")]) -> dagger.Container:
        """The Spark base container alone (spark-k8s-spark-<version>)."""
        return spark_base_layer.build(matrix.release(spark_version), self.options())

    @function
    async def test(
        self,
        variant: Annotated[str, Doc("check every image of this variant")] = "",
        spark_version: Annotated[str, Doc("narrow to one Spark version")] = "",
        gpu: Annotated[bool, Doc("the engine host has a GPU: also check real GPU execution")] = False,
    ) -> dagger.Directory:
        """Build and check images; returns the report (report.json, report.md, junit.xml)."""
        built = await self.build_and_check(spark_version, variant, gpu)
        return pipeline.reports([b.result for b in built])

    @function
    async def test_all(
        self, gpu: Annotated[bool, Doc("the engine host has a GPU: also check real GPU execution")] = False
    ) -> dagger.Directory:
        """Build and check all 14 images; returns the report."""
        return await self.test(gpu=gpu)

    @function
    async def build_all(
        self,
        spark_version: Annotated[str, Doc("narrow to one Spark version")] = "",
        variant: Annotated[str, Doc("narrow to one variant")] = "",
        gpu: Annotated[bool, Doc("the engine host has a GPU: also check real GPU execution")] = False,
    ) -> dagger.Directory:
        """The main job: build and check the matrix; returns images/ (OCI tarballs of the images that
        passed) and reports/. Check reports/report.json's verdicts (python -m pipeline exits 1 on any failure)."""
        built = await self.build_and_check(spark_version, variant, gpu)
        return (
            dagger.dag.directory()
            .with_directory("images", pipeline.exported_images(built))
            .with_directory("reports", pipeline.reports([b.result for b in built]))
        )

    async def build_and_check(self, spark_version: str, variant: str, gpu: bool) -> list[pipeline.Built]:
        """The shared core of test, build-all and publish (not a Dagger function: returns Python objects)."""
        selected = matrix.images(spark_version or None, variant or None)
        built = await pipeline.build_and_check_all(selected, self.options(), gpu=gpu)
        pipeline.progress("\n" + pipeline.summary(built))
        return built

    @function
    async def publish(
        self,
        registry: Annotated[str, Doc("REGISTRY[/NAMESPACE], e.g. localhost:5000/jupyter")],
        username: Annotated[str, Doc("registry user")] = "",
        password: Annotated[dagger.Secret | None, Doc("registry password, e.g. env:REGISTRY_PASSWORD")] = None,
        spark_version: Annotated[str, Doc("narrow to one Spark version")] = "",
        variant: Annotated[str, Doc("narrow to one variant")] = "",
        gpu: Annotated[bool, Doc("the engine host has a GPU: also check real GPU execution")] = False,
    ) -> str:
        """Build, check and push the images that passed (REFUSED lines for the others); JSON lines out."""
        target = matrix.registry_address(registry)
        built = await self.build_and_check(spark_version, variant, gpu)
        pushed = await pipeline.publish_passed(built, target, username or None, password)
        return "\n".join(json.dumps(p) for p in pushed)

    @function
    def dockerfiles(self) -> dagger.Directory:
        """The Dockerfiles rendered from the pipeline's recipes (what dockerfiles/ must hold)."""
        directory = dagger.dag.directory()
        for path, text in render_all().items():
            directory = directory.with_new_file(path, text)
        return directory
