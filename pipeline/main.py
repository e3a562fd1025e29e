"""The Dagger module: thin functions over orchestrate.py. `dagger call <function>` and
`python -m pipeline <function>` run the same functions."""

from __future__ import annotations

import json
from typing import Annotated

import dagger
from dagger import DefaultPath, Doc, Ignore, check, function, generate, object_type

from . import assembly, catalog, orchestrate, product, publish, recipe, registry_tools, releases, shipping, signing
from .errors import UsageError
from . import spark_base_layer
from .rendering import OUT_DIR, image_inputs, render_all
from .limits import parse as parse_limits
from .report import Failed, from_json, verdict

GPU_DOC = "the engine's host has an NVIDIA GPU: also run Spark on it (else the gpu check is skipped)"
PREVIOUS_DOC = (
    "a report.json of an earlier run: an image whose digest and check code are unchanged since it passed "
    "there is not checked again (its results are reused, and marked so)"
)
PLATFORMS_DOC = (
    f"the platforms to build: {', '.join(product.PLATFORMS)}, a comma-separated list of them, or "
    f"{product.ALL_PLATFORMS}; several make one multi-platform image per name, shipped only if every platform "
    "passed (images whose features are not built for a platform leave it out)"
)
PLATFORM_DOC = f"{PLATFORMS_DOC} (default: the engine's own platform, as docker build)"
PUBLISH_PLATFORM_DOC = f"{PLATFORMS_DOC} (default: {product.ALL_PLATFORMS}; with --per-platform the engine's own)"
PER_PLATFORM_DOC = (
    "a per-platform CI job: push each platform that passed to NAME:<revision>-<arch> only (no index, no :latest), "
    "for `merge` to join once every platform's job is done"
)
RECHECK_DOC = "check every image again, even where --previous has results to reuse"
ALLOW_FAILURES_DOC = (
    "return the report (and the images that passed) even when images failed, and exit 0: for a CI job that "
    "exports them first and then fails on `gate --report`"
)
DOCKERFILES_DOC = "the checkout's dockerfiles/ (default: this module's own)"
ARCHIVES_DOC = "which archives images/ gets: " + "; ".join(f"{k}: {v}" for k, v in shipping.ARCHIVES.items())
SPARK_VERSIONS = ", ".join(releases.SPARK_VERSIONS)
VARIANTS = ", ".join(product.VARIANTS)
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"

# The functions' common arguments, each written once
SparkVersion = Annotated[str, Doc(f"Spark version: {SPARK_VERSIONS}")]
OnlySparkVersion = Annotated[str, Doc(f"only this Spark version: {SPARK_VERSIONS} (default: all)")]
OnlyVariant = Annotated[str, Doc(f"only this variant: {VARIANTS} (default: all)")]
Gpu = Annotated[bool, Doc(GPU_DOC)]
Previous = Annotated[dagger.File | None, Doc(PREVIOUS_DOC)]
Recheck = Annotated[bool, Doc(RECHECK_DOC)]
Platforms = Annotated[str, Doc(PLATFORM_DOC)]
AllowFailures = Annotated[bool, Doc(ALLOW_FAILURES_DOC)]
RegistryUser = Annotated[str, Doc("registry user")]
RegistryPassword = Annotated[dagger.Secret | None, Doc("registry password, e.g. env:REGISTRY_PASSWORD")]
SigningKey = Annotated[
    dagger.Secret | None,
    Doc(
        "a cosign private key (cosign generate-key-pair), e.g. env:COSIGN_KEY: each image is signed, and its "
        "SBOM, provenance and check record attested, before any tag names it (docs/evidence.md)"
    ),
]
SigningPassword = Annotated[dagger.Secret | None, Doc("the signing key's password, e.g. env:COSIGN_PASSWORD")]


@object_type
class JupyterSparkImages:
    """Jupyter + Apache Spark runtime images: built, checked against services of each image, shipped
    only if they pass."""

    source: Annotated[
        dagger.Directory,
        Doc("the files builds and checks read (default: this module's own source)"),
        DefaultPath("/"),
        Ignore(["*", *(f"!{path}" for path in recipe.SOURCE_FILES), *recipe.SOURCE_EXCLUDE]),
    ]
    debian_mirror: Annotated[str, Doc("Debian archive mirror URL (default: deb.debian.org)")] = ""
    pypi_files: Annotated[str, Doc("base URL of PyPI's files, where the pyspark sdists are")] = releases.PYPI_FILES
    pip_index_url: Annotated[str, Doc("pip index URL (default: PyPI)")] = ""
    maven_repo: Annotated[str, Doc("Maven repository URL for the Iceberg, RAPIDS and Connect jars")] = (
        releases.MAVEN_CENTRAL
    )
    go_proxy: Annotated[str, Doc("Go module proxy the SBOM tool (syft) is built from (default: Go's own)")] = ""
    ca_bundle: Annotated[
        dagger.File | None,
        Doc("CA bundle (PEM) trusted while building, never kept in an image: curl adds it, pip uses it alone"),
    ] = None
    revision: Annotated[
        str,
        Doc(
            "source revision for the images' revision label and immutable tag, e.g. $GITHUB_SHA "
            "(default: src- and the digest of what the images are made from: the rendered recipes, "
            "the files they copy, the lock files)"
        ),
    ] = ""
    refresh: Annotated[
        str,
        Doc(
            "run every build step again instead of reusing the engine's cached results whenever this value is new, "
            "e.g. $(date +%F): a daily build then has Debian's security updates of that day (default: reuse)"
        ),
    ] = ""
    limits: Annotated[
        str, Doc("override waits, in seconds: NAME=SECONDS,... for build, push, export or a check's name")
    ] = ""

    async def options(self) -> recipe.BuildOptions:
        """The object's settings as build options, checked (not a Dagger function)."""
        if self.ca_bundle is not None and PEM_CERTIFICATE not in await self.ca_bundle.contents():
            raise UsageError(f"--ca-bundle is not a PEM certificate bundle: it has no {PEM_CERTIFICATE} block")
        return recipe.BuildOptions(
            self.debian_mirror,
            self.pypi_files,
            self.pip_index_url,
            self.maven_repo,
            self.go_proxy,
            self.ca_bundle,
            self.source,
            await self.effective_revision(),
            self.refresh,
        )

    async def effective_revision(self) -> str:
        """--revision, else src-<digest of what the images are made from (rendering.image_inputs)>: a tag
        that never names two different builds, and the same tag where nothing an image is made from changed."""
        return self.revision or "src-" + (await image_inputs(self.source).digest()).split(":")[-1][:12]

    @function
    async def build(
        self,
        spark_version: SparkVersion,
        variant: Annotated[str, Doc(f"image variant: {VARIANTS}")] = "baseline",
        spark_image: Annotated[
            str, Doc("your own Spark base image address instead of ours (Debian bookworm, Spark in /opt/spark)")
        ] = "",
    ) -> dagger.Container:
        """Build one image of the matrix, unchecked (`test` checks it)."""
        image = catalog.image(spark_version, variant)
        base = assembly.from_address(spark_image) if spark_image else None
        orchestrate.warn_of_forced_shim(image)
        return orchestrate.container(image, await self.options(), await orchestrate.engine_platform(), base)

    @function
    async def spark_base(self, spark_version: SparkVersion) -> dagger.Container:
        """Build the Spark base image alone (spark-k8s-spark-<version>)."""
        release = releases.release(spark_version)
        return spark_base_layer.build(release, await self.options(), await orchestrate.engine_platform())

    @function
    async def test(
        self,
        variant: OnlyVariant = "",
        spark_version: OnlySparkVersion = "",
        gpu: Gpu = False,
        previous: Previous = None,
        recheck: Recheck = False,
        platform: Platforms = "",
        allow_failures: AllowFailures = False,
    ) -> dagger.Directory:
        """Build and check images; returns the report (report.json, report.md, junit.xml).

        Fails, naming each failed image and its failed checks, when any image failed, unless
        --allow-failures (then `gate` on the exported report fails the job)."""
        run = await self.run(gpu, previous, recheck, platform)
        built = await self.build_and_check(run, spark_version, variant)
        passed_or_allowed(built, allow_failures)
        return shipping.reports([b.result for b in built])

    @function
    async def test_all(self, gpu: Gpu = False) -> dagger.Directory:
        """Build and check all 14 images; returns the report (see `test`)."""
        return await self.test(gpu=gpu)

    @function
    async def build_all(
        self,
        spark_version: OnlySparkVersion = "",
        variant: OnlyVariant = "",
        gpu: Gpu = False,
        archives: Annotated[str, Doc(ARCHIVES_DOC)] = "combined",
        previous: Previous = None,
        recheck: Recheck = False,
        platform: Platforms = "",
        allow_failures: AllowFailures = False,
    ) -> dagger.Directory:
        """The main job: build and check the matrix; returns the images that passed and the report.

        images/ holds the images that passed on every platform as archives for `docker load`,
        `podman load` and skopeo, each image (one multi-platform image where it has several)
        named NAME:latest and NAME:<revision>; reports/ the report, with each platform's manifest
        digest as checked and the index that ships them. Fails, naming each failed image and its
        failed checks, when any image failed, unless --allow-failures (then the images that passed
        and the report come back, and `gate` on reports/report.json fails the job)."""
        shipping.archives_kind(archives)
        run = await self.run(gpu, previous, recheck, platform)
        orchestrate.sboms_as_they_pass(run)  # its output has each passed image's SBOM
        built = await self.build_and_check(run, spark_version, variant)
        await orchestrate.sboms_ahead(run)
        passed_or_allowed(built, allow_failures)
        await shipping.ship(built, run.opts, run.limits)  # the indexes, into the report
        return shipping.output(built, run.opts, archives, await orchestrate.made_by(run, built))

    @function
    async def gate(
        self,
        report: Annotated[
            dagger.File, Doc("a report.json written by test or build-all, e.g. build/reports/report.json")
        ],
    ) -> str:
        """Fail when a report lists failed images, naming them; else say how many passed.

        Run it after exporting test's or build-all's output, so the report and the passed images are kept."""
        try:
            entries = json.loads(await report.contents())
        except ValueError as err:
            raise UsageError(f"--report is not a report.json of this pipeline: not JSON ({err})") from None
        return verdict(entries)

    async def run(
        self, gpu: bool, previous: dagger.File | None = None, recheck: bool = False, platform: str = ""
    ) -> orchestrate.RunState:
        """What a build-and-check run shares: options, limits, the results it may reuse (not a Dagger function)."""
        waits, reusable = parse_limits(self.limits), {}
        targets = catalog.targets(platform, await orchestrate.engine_platform())
        if previous is not None and not recheck:
            try:
                reusable = {(r.image, r.platform): r for r in from_json(await previous.contents())}
            except (ValueError, KeyError, TypeError) as err:
                raise UsageError(f"--previous is not a report.json of this pipeline: {err!r}") from None
        return orchestrate.RunState(await self.options(), gpu, waits, reusable, targets=targets)

    async def build_and_check(
        self, run: orchestrate.RunState, spark_version: str, variant: str
    ) -> list[shipping.Built]:
        """The shared core of test, build-all and publish (not a Dagger function: returns Python objects)."""
        selected = catalog.images(spark_version or None, variant or None, run.targets.platforms)
        built = await orchestrate.build_and_check_all(selected, run)
        orchestrate.progress("\n" + orchestrate.summary([b.result for b in built]))
        return built

    @function(cache="never")
    async def publish(
        self,
        registry: Annotated[str, Doc("where to push: REGISTRY[:PORT]/NAMESPACE, e.g. registry.example.com/jupyter")],
        username: RegistryUser = "",
        password: RegistryPassword = None,
        spark_version: OnlySparkVersion = "",
        variant: OnlyVariant = "",
        gpu: Gpu = False,
        platform: Annotated[str, Doc(PUBLISH_PLATFORM_DOC)] = "",
        per_platform: Annotated[bool, Doc(PER_PLATFORM_DOC)] = False,
        signing_key: SigningKey = None,
        signing_password: SigningPassword = None,
    ) -> list[str]:
        """Build, check and push the images that passed; returns the pushed references.

        Each image goes to NAME:<date>-<revision> and then NAME:latest, one multi-platform image
        where it has several platforms (all of which must pass); the references come back with
        their digests. Never cached: every call pushes. Before anything is pushed, every image is
        verified (the checked digest; the immutable tag absent or holding it, a registry that cannot
        be read refusing that image): the immutable tag never moves, and :latest only moves to a
        checked image whose immutable tag is in place. With --signing-key, the registry gets each image
        signed, with its evidence attested, before any tag names it (`verify` checks them). Fails,
        naming them, when any image failed its checks or could not be pushed or signed (after pushing
        all it could). With --per-platform, each platform that passed goes to NAME:<revision>-<arch>
        only, for `merge` (a per-platform CI job)."""
        platform = platform or ("" if per_platform else product.ALL_PLATFORMS)
        target, run = publish.registry_address(registry), await self.run(gpu, platform=platform)
        for image in catalog.images(spark_version or None, variant or None):
            publish.references(target, image, run.opts.revision)  # a revision that makes a bad tag: before any build
        built = await self.build_and_check(run, spark_version, variant)
        if not per_platform:
            await shipping.ship(built, run.opts, run.limits)  # each multi-platform image's index, checked
        signer = None
        if signing_key is not None:
            where = registry_tools.Registry(target.partition("/")[0], username or None, password)
            signer = (
                signing.Signer(signing_key, signing_password, where, run.opts),
                await orchestrate.made_by(run, built),
            )
        out = await shipping.publish_passed(
            built, target, username or None, password, run.opts.revision, run.limits, run.opts, signer, per_platform
        )
        return pushed_or_failed(out, "not published, failed their checks")

    @function(cache="never")
    async def verify(
        self,
        reference: Annotated[str, Doc("a published image: REGISTRY/NAMESPACE/NAME:TAG or NAME@DIGEST")],
        public_key: Annotated[dagger.File, Doc("the publisher's cosign public key (cosign.pub)")],
        username: RegistryUser = "",
        password: RegistryPassword = None,
    ) -> str:
        """Verify a published image offline with its publisher's public key: its signature and the
        attestations publish --signing-key made (its provenance, its check record, each platform's SBOM),
        with no transparency log. Fails unless each verifies and the check record says the image passed;
        else says what they attest."""
        match = publish.REFERENCE.fullmatch(reference) if publish.is_reference(reference) else None
        if not (match and match["domain"]):
            raise UsageError(
                f"--reference {reference!r} is not an image reference with a registry host; {publish.REGISTRY_HELP}"
            )
        where = registry_tools.Registry(match["domain"], username or None, password)
        return await signing.verify(reference, public_key, where, await self.options())

    @function(cache="never")
    async def merge(
        self,
        registry: Annotated[str, Doc("where the platforms' jobs pushed: REGISTRY[:PORT]/NAMESPACE")],
        username: RegistryUser = "",
        password: RegistryPassword = None,
        spark_version: OnlySparkVersion = "",
        variant: OnlyVariant = "",
        platform: Annotated[str, Doc(f"the platforms every image must have: {PLATFORMS_DOC}")] = product.ALL_PLATFORMS,
    ) -> list[str]:
        """The last job of a per-platform CI fan-out: join each image's platforms, as the jobs of
        `publish --per-platform` pushed them (NAME:<revision>-<arch>, there only where that platform
        passed), into one multi-platform image under NAME:<date>-<revision> and NAME:latest; returns the
        pushed references. Builds and checks nothing: the index lists exactly the manifests those jobs
        checked and pushed. An image that lacks a platform gets no index; fails naming it (after merging
        all it could). Same revision as the platform jobs (the same source, or the same --revision)."""
        target, opts = publish.registry_address(registry), await self.options()
        targets = catalog.targets(platform, await orchestrate.engine_platform())
        selected = catalog.images(spark_version or None, variant or None, targets.platforms)
        out = await shipping.merge(
            selected,
            targets.platforms,
            target,
            username or None,
            password,
            opts.revision,
            parse_limits(self.limits),
            opts,
        )
        return pushed_or_failed(out, "not merged, a platform is missing")

    @function
    def dockerfiles(self) -> dagger.Directory:
        """The Dockerfiles rendered from the pipeline's recipes, for plain `docker build` (dockerfiles/)."""
        directory = dagger.dag.directory()
        for path, text in render_all().items():
            directory = directory.with_new_file(path, text)
        return directory

    @function
    @generate
    def generate_dockerfiles(
        self,
        checkout: Annotated[dagger.Directory, Doc(DOCKERFILES_DOC), DefaultPath("/"), Ignore(["*", f"!{OUT_DIR}/**"])],
    ) -> dagger.Changeset:
        """dockerfiles/ rendered anew from the recipes: `dagger generate` writes it (`make dockerfiles` too),
        `dagger check` fails while it would change anything."""
        return checkout.without_directory(OUT_DIR).with_directory(OUT_DIR, self.dockerfiles()).changes(checkout)

    @function
    @check
    async def images_pass(self) -> None:
        """Fail when an image of the default selection fails its checks (`test` with its defaults)."""
        await self.test()

    @function
    def matrix(
        self,
        spark_version: OnlySparkVersion = "",
        variant: OnlyVariant = "",
    ) -> str:
        """The images as a JSON list of {name, spark-version, variant, platforms}: a CI matrix, one job per image."""
        selected = catalog.images(spark_version or None, variant or None)
        return json.dumps(
            [
                {"name": i.name, "spark-version": i.spark.version, "variant": i.variant, "platforms": list(i.platforms)}
                for i in selected
            ]
        )


def passed_or_allowed(built: list[shipping.Built], allow_failures: bool) -> None:
    """Failed, naming each failed image and its failed checks, unless every image passed or failures are allowed."""
    if not allow_failures:
        verdict([b.result.as_dict() for b in built])


def pushed_or_failed(out: shipping.Published, refused: str) -> list[str]:
    """What publish and merge return: the pushed references, or Failed naming what was not pushed and why."""
    problems = [f"{refused}: {', '.join(out.refused)}"] if out.refused else []
    problems += [f"push failed: {failure}" for failure in out.failed]
    if problems:
        raise Failed("; ".join(problems) + f"; pushed: {', '.join(out.pushed) or 'nothing'}")
    return out.pushed
