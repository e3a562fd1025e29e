"""Signatures: what publish pushes is signed, and its evidence attested, by cosign with the publisher's key
(a Dagger secret), before any tag names it; `verify` checks a published image with the public key alone.

For each image, on the digest that ships (its manifest, or its multi-platform index) as the registry has it
(REPO@DIGEST, pushed untagged first: publish.push):
- a signature (cosign sign);
- attestations (cosign attest: in-toto statements whose subject is that digest, signed) of its evidence
  (shipping.evidence): its provenance (provenance.py's predicate), its check record (record.py's), and
  each platform's SBOM (sbom.py's CycloneDX document).

No transparency log and no timestamp authority (SIGNING_CONFIG names none): a signature is checked offline,
with the public key (`cosign verify --key cosign.pub --insecure-ignore-tlog`). cosign stores them beside
the image in its repository (the referrers API where the registry has it, else its sha256-DIGEST tags).
cosign is built here from requirements/cosign/ (go_tools.py), run by registry_tools.py."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import dagger

from . import provenance, recipe
from .checks import record
from .registry_tools import LOGIN, Registry
from .report import Failed

# A signing config with no services: keys, no transparency log, no timestamp authority
SIGNING_CONFIG = {
    "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
    "rekorTlogConfig": {},
    "tsaConfig": {},
}
ATTESTATIONS = {"provenance": "slsaprovenance1", "checks": record.PREDICATE, "sbom": "cyclonedx"}  # cosign --type
CYCLONEDX = "https://cyclonedx.org/bom"  # the predicate type cosign writes for --type cyclonedx
EVIDENCE, CONFIG = "/evidence", "/cosign/signing-config.json"
KEY = "--key=env://COSIGN_KEY"  # the private key (and COSIGN_PASSWORD) from secrets, never in a file or a log


class NotSigned(Exception):
    """cosign could not sign or attest an image, or verify what it signed: that image is not published."""


@dataclass(frozen=True)
class Signer:
    """publish's signing step: the key (a cosign private key, and its password) and the registry."""

    key: dagger.Secret
    password: dagger.Secret | None
    registry: Registry
    opts: recipe.BuildOptions

    async def sign(self, reference: str, evidence: dagger.Directory) -> str:
        """Sign reference (REPO@DIGEST, the image as it ships) and attest each predicate in evidence
        (KIND.json or KIND.PLATFORM.json, KIND one of ATTESTATIONS); then verify them all with the key's
        public half. NotSigned, with cosign's error, when any step fails."""
        script = LOGIN + f"cosign sign {KEY} --signing-config={CONFIG} --yes {reference}\n"
        for name in await evidence.entries():
            script += f"cosign attest {KEY} --signing-config={CONFIG} --yes --type={ATTESTATIONS[name.split('.')[0]]} "
            script += f"--predicate={EVIDENCE}/{name} {reference}\n"
        script += f"cosign public-key {KEY} > /tmp/cosign.pub\n" + verify_script(reference, "/tmp/cosign.pub")
        ctr = (
            self.registry.tools(self.opts)
            .with_new_file(CONFIG, json.dumps(SIGNING_CONFIG))
            .with_secret_variable("COSIGN_KEY", self.key)
            .with_mounted_directory(EVIDENCE, evidence)
        )
        if self.password is not None:
            ctr = ctr.with_secret_variable("COSIGN_PASSWORD", self.password)
        else:
            ctr = ctr.with_env_variable("COSIGN_PASSWORD", "")
        try:
            return await ctr.with_exec(["bash", "-euo", "pipefail", "-c", script]).stdout()
        except dagger.ExecError as err:
            raise NotSigned(f"not signed: {cosign_error(err)}") from None


def verify_script(reference: str, public_key: str) -> str:
    """cosign's offline verification of reference: its signature, then each kind of attestation, each
    attestation's statement as a JSON line on stdout (VERIFIED)."""
    script = LOGIN + f"cosign verify --key={public_key} --insecure-ignore-tlog {reference} >/dev/null\n"
    for kind in dict.fromkeys(ATTESTATIONS.values()):
        script += f"cosign verify-attestation --key={public_key} --insecure-ignore-tlog --type={kind} {reference}\n"
    return script


async def verify(reference: str, public_key: dagger.File, registry: Registry, opts: recipe.BuildOptions) -> str:
    """What a published image's signature and attestations say, verified with the public key; Failed when
    any is missing or does not verify, or when its check record is not a pass."""
    ctr = registry.tools(opts).with_mounted_file("/run/cosign.pub", public_key)
    try:
        out = await ctr.with_exec(
            ["bash", "-euo", "pipefail", "-c", verify_script(reference, "/run/cosign.pub")]
        ).stdout()
    except dagger.ExecError as err:
        raise Failed(f"{reference} does not verify with that key: {cosign_error(err)}") from None
    return summary(reference, [statement_of(line) for line in out.splitlines() if line.strip()])


def cosign_error(err: dagger.ExecError) -> str:
    """cosign's own error line(s), else the command's last line of output."""
    lines = (err.stderr or err.stdout or "").splitlines()
    return " ".join([line for line in lines if line.startswith("Error:")] or lines[-1:]) or str(err)


def statement_of(line: str) -> dict:
    """The in-toto statement inside one line of cosign verify-attestation's output (a DSSE envelope)."""
    return json.loads(base64.b64decode(json.loads(line)["payload"]))


def summary(reference: str, statements: list[dict]) -> str:
    """The verified evidence, a line each; Failed unless the check record says the image passed."""
    by_type: dict[str, list[dict]] = {}
    for s in statements:
        by_type.setdefault(s["predicateType"], []).append(s)
    digests = {f"{k}:{v}" for s in statements for subject in s["subject"] for k, v in subject["digest"].items()}
    lines = [f"{reference}: signature verified (offline, with the given public key)"]
    records = by_type.get(record.PREDICATE, [])
    if not records or any(r["predicate"]["verdict"] != "passed" for r in records):
        raise Failed(f"{reference}: no signed check record says it passed ({len(records)} records)")
    for r in records:
        for p in r["predicate"]["platforms"]:
            statuses = [c["status"] for c in p["checks"]]
            counted = ", ".join(f"{statuses.count(s)} {s}" for s in dict.fromkeys(statuses))
            lines.append(f"check record: {p['platform']} {p['digest']}: {counted}")
    for s in by_type.get(provenance.PREDICATE, []):
        deps = s["predicate"]["buildDefinition"]["resolvedDependencies"]
        lines.append(f"provenance: built by {s['predicate']['runDetails']['builder']['id']}, {len(deps)} inputs")
    for s in by_type.get(CYCLONEDX, []):
        bom = s["predicate"]
        described = bom["metadata"]["component"].get("version", "?")  # the platform's manifest digest
        lines.append(f"sbom of {described}: {len(bom.get('components', []))} components")
    lines.append(f"every statement's subject: {', '.join(sorted(digests))}")
    return "\n".join(lines)
