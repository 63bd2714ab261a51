"""JUnit XML, as CI test-report readers (GitLab, Jenkins, Azure, pytest's own report) take it.

One ``testsuite`` per file and one failed ``testcase`` per finding in it; a run without findings
is one passed test case, so a reader that wants at least one test sees the run.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from otel_lint.findings import Finding
from otel_lint.output.formats.escapes import printable

#: Characters XML 1.0 cannot hold at all, not even as references, that ``printable`` keeps.
_NOT_XML = re.compile("[\ufffe\uffff]")


def _text(text: str) -> str:
    """Any file's text as XML can carry it: controls and the like shown as escapes."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", printable(text))


def _testcase(suite: ET.Element, finding: Finding) -> None:
    path = _text(finding.path)
    case = ET.SubElement(
        suite,
        "testcase",
        name=f"{finding.code} {finding.name} at {finding.line}:{finding.column}",
        classname=path,
        file=path,
        line=str(finding.line),
    )
    failure = ET.SubElement(
        case, "failure", message=_text(f"{finding.code} {finding.message}"), type=finding.code
    )
    failure.text = _text(
        f"{finding.path}:{finding.line}:{finding.column}: {finding.code} "
        f"{finding.severity.value} {finding.message}"
    )


def render_junit(findings: Sequence[Finding]) -> str:
    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        by_file.setdefault(finding.path, []).append(finding)
    total = str(len(findings))
    root = ET.Element(
        "testsuites", name="otel-lint", tests=total, failures=total, errors="0", skipped="0"
    )
    for path, of_file in by_file.items():
        count = str(len(of_file))
        suite = ET.SubElement(
            root,
            "testsuite",
            name=_text(path),
            tests=count,
            failures=count,
            errors="0",
            skipped="0",
        )
        for finding in of_file:
            _testcase(suite, finding)
    if not findings:
        root.set("tests", "1")
        suite = ET.SubElement(
            root, "testsuite", name="otel-lint", tests="1", failures="0", errors="0", skipped="0"
        )
        ET.SubElement(suite, "testcase", name="no findings", classname="otel-lint")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
