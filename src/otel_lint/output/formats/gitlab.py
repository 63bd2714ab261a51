"""GitLab code quality: the subset of Code Climate's issue format GitLab's merge request widget
reads (``description``, ``check_name``, ``fingerprint``, ``severity``, ``location``), plus the
``type`` and ``categories`` Code Climate itself requires."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from otel_lint.findings import Finding, Severity
from otel_lint.output.formats.escapes import printable

#: GitLab's scale is info, minor, major, critical, blocker: an error blocks nothing by itself.
_SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}
#: Code Climate's categories by rule family (the code's hundreds); secrets are a security matter.
_CATEGORY = {"0": "Bug Risk", "1": "Bug Risk", "2": "Performance", "3": "Style"}
_SECURITY = frozenset({"OTL205"})


def _project_path(path: str, project: str) -> str:
    """The path relative to the project folder (GitLab links it into the repository), with
    ``/`` separators, whichever folder the run started in; a path outside the project stays as
    given."""
    shown = path
    try:
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(project))
    except ValueError:  # another drive (Windows)
        relative = ".."
    if relative != ".." and not relative.startswith(".." + os.sep):
        shown = relative
    shown = shown.replace("\\", "/")
    while shown.startswith("./"):
        shown = shown[2:]
    return shown


def _fingerprint(finding: Finding, path: str, occurrence: int) -> str:
    """Stable while lines move: the code, the path and the finding's own line-independent
    fingerprint (its matched code), numbered when one file has the same finding twice, because
    GitLab shows one issue per fingerprint."""
    import hashlib  # here: every command imports the formats, and only this one hashes

    identity = finding.fingerprint or finding.message
    text = f"{finding.code}\0{path}\0{identity}\0{occurrence}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def render_gitlab(findings: Sequence[Finding], environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    project = environ.get("CI_PROJECT_DIR") or os.getcwd()
    seen: Counter[tuple[str, str, str]] = Counter()
    issues: list[dict[str, Any]] = []
    for finding in findings:
        path = _project_path(finding.path, project)
        key = (finding.code, path, finding.fingerprint or finding.message)
        seen[key] += 1
        category = "Security" if finding.code in _SECURITY else _CATEGORY.get(finding.code[3])
        issues.append(
            {
                "type": "issue",
                "check_name": finding.code,
                # Shown to people as it is: what a file put in it is escaped (the path is not, as
                # it must name the file).
                "description": printable(f"{finding.code} {finding.message}"),
                "categories": [category or "Bug Risk"],
                "severity": _SEVERITY[finding.severity],
                "fingerprint": _fingerprint(finding, path, seen[key]),
                "location": {
                    "path": path,
                    "lines": {"begin": finding.line, "end": finding.end_line},
                },
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False)
