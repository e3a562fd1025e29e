"""The check report in three forms: JSON, a Markdown table (image x check), JUnit XML."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

from . import catalog, python_deps, vex
from .errors import UsageError
from .checks import record
from .checks.advisories import NOTHING
from .checks.result import CheckResult, ImageResult, label

MARK = {"passed": "pass", "failed": "FAIL", "skipped": "skip"}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Text that XML 1.0 can carry: other control characters (ESC in service logs, NUL) become \\xNN."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class Failed(Exception):
    """Images failed their checks: what `gate` and `publish` raise, so `dagger call` exits non-zero."""


def _failed_label(entry: dict) -> str:
    """An image (and platform) that failed, with the checks it failed: jupyter-4.1.1-iceberg (size)."""
    checks = [c["name"] for c in entry.get("checks", []) if c.get("status") == "failed"]
    name = label(entry["image"], entry.get("platform", ""), entry.get("emulated", False))
    return name + (f" ({', '.join(checks)})" if checks else "")


def verdict(report: object) -> str:
    """A report.json's verdict: how many passed, or Failed naming the images that did not (and their
    failed checks); UsageError for a document that is not a report."""
    if not (isinstance(report, list) and all(isinstance(r, dict) and {"image", "verdict"} <= r.keys() for r in report)):
        raise UsageError("--report is not a report.json of this pipeline (a list of {image, verdict, checks, ...})")
    failed = [_failed_label(r) for r in report if r["verdict"] != "passed"]
    if not report:
        raise Failed("the report lists no images")
    if failed:
        raise Failed(f"{len(failed)} of {len(report)} images failed their checks: {', '.join(failed)}")
    names = len({r["image"] for r in report})
    return f"{names} of {names} images passed" + (
        f" ({len(report)} with their platforms)" if names != len(report) else ""
    )


def as_json(results: list[ImageResult]) -> str:
    return json.dumps([r.as_dict() for r in results], indent=2) + "\n"


def from_json(text: str) -> list[ImageResult]:
    """Results back from a report.json (as_json's output)."""
    results = []
    for r in json.loads(text):
        fields = {k: v for k, v in r.items() if k in ImageResult.__dataclass_fields__}
        results.append(ImageResult(**fields | {"checks": [CheckResult(**c) for c in r["checks"]]}))
    return results


def overlaid(previous: str | None, results: list[ImageResult]) -> str | None:
    """A report.json of the earlier results with these results in place of theirs (by image and platform)."""
    if not results:
        return previous
    newer = {(r.image, r.platform) for r in results}
    earlier = [r for r in from_json(previous) if (r.image, r.platform) not in newer] if previous else []
    return as_json(earlier + results)


def as_markdown(results: list[ImageResult]) -> str:
    names = list(dict.fromkeys(c.name for r in results for c in r.checks))
    lines = [
        "| image | uncompressed | digest | " + " | ".join(names) + " | verdict |",
        "|---|---:|---|" + "---|" * len(names) + "---|",
    ]
    for r in results:
        by_name = {c.name: c for c in r.checks}
        cells = [f"{MARK[by_name[n].status]} {by_name[n].seconds:.0f}s" if n in by_name else "-" for n in names]
        size = f"{r.size_bytes / 1e9:.2f} GB" if r.size_bytes else "?"
        digest = f"`{r.digest[:19]}`" if r.digest else "-"
        said = ("passed" if r.passed else "FAILED") + (f" (reused: checked at {r.checked_at})" if r.reused else "")
        lines.append(f"| {r.label} | {size} | {digest} | " + " | ".join(cells) + f" | {said} |")
    decided = {}  # the advisories check's detail (its decisions), with the images it holds for
    for r in results:
        for c in r.checks:
            if c.name == "advisories" and c.status == "passed" and c.detail != NOTHING:
                decided.setdefault(c.detail, []).append(r.label)
    for detail, images in decided.items():
        lines += ["", f"### Advisories decided for {', '.join(images)}", "", detail]
    lines += python_behind(results)
    failures = [(r.label, c) for r in results for c in r.checks if c.status == "failed"]
    for image, c in failures:
        lines += ["", f"### {image}: {c.name} failed", "", "```", c.detail, "```"]
    return "\n".join(lines) + "\n"


def python_behind(results: list[ImageResult], newest: dict | None = None) -> list[str]:
    """The report's section on the images' direct Python pins that are behind their newest release, as
    PyPI had them when `make update-versions` last ran (python_deps.NEWEST_FILE)."""
    newest = python_deps.load_newest() if newest is None else newest
    names = {r.image for r in results}
    spark_lines = sorted({i.spark.line for i in catalog.images() if i.name in names}, key=python_deps.version_key)
    if not newest or not spark_lines:
        return []
    out = [
        "",
        f"### Python packages behind their newest release (PyPI on {newest['checked']}, Python {newest['python']})",
        "",
    ]
    for line in spark_lines:
        late = python_deps.behind(line, newest)
        said = ", ".join(f"{p.name} {p.version} (newest {v}; updates: {p.policy})" for p, v in late) or "none"
        out.append(f"- Spark {line} images (requirements/jupyter-{line}.in): {said}")
    return out


def as_junit(results: list[ImageResult]) -> str:
    suites = ET.Element("testsuites", name="jupyter-spark-images")
    for r in results:
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=r.label,
            tests=str(len(r.checks)),
            failures=str(sum(c.status == "failed" for c in r.checks)),
            skipped=str(sum(c.status == "skipped" for c in r.checks)),
            time=f"{sum(c.seconds for c in r.checks):.1f}",
        )
        for c in r.checks:
            case = ET.SubElement(suite, "testcase", classname=r.label, name=c.name, time=f"{c.seconds:.1f}")
            detail = xml_text(c.detail)
            if c.status == "failed":
                ET.SubElement(case, "failure", message=detail.splitlines()[-1] if detail else "failed").text = detail
            elif c.status == "skipped":
                ET.SubElement(case, "skipped", message=detail)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def render_all(results: list[ImageResult]) -> dict[str, str]:
    """The report directory's files: the report, and each shipped image's OpenVEX document (vex.py) and
    the record of its checks (checks/record.py)."""
    files = {"report.json": as_json(results), "report.md": as_markdown(results), "junit.xml": as_junit(results)}
    return files | vex.documents(results) | record.documents(results)
