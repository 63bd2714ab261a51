"""Baselines for gradual adoption: record today's findings, then report only new ones.

Entries are keyed by path, code and the finding's fingerprint (a digest of the matched code and
its occurrence), not by line, so edits elsewhere in a file do not bring old findings back.
"""

from __future__ import annotations

import json
import os
import stat
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from otel_lint.cache.store import write_atomically
from otel_lint.findings import Finding
from otel_lint.regular_files import read_regular_file

FORMAT = 1


class BaselineError(Exception):
    """A baseline file that cannot be read; the message says which and why."""


def _key(finding: Finding) -> tuple[str, str, str]:
    return (finding.path.replace("\\", "/"), finding.code, finding.fingerprint)


def write_baseline(path: Path, findings: Sequence[Finding]) -> None:
    entries = [
        {"path": p, "code": c, "fingerprint": f} for p, c, f in sorted(_key(x) for x in findings)
    ]
    document = {"otel-lint-baseline": FORMAT, "findings": entries}
    # Through a symlink to the file it names (a baseline shared between folders stays shared),
    # with the file's mode, or for a new file the mode the umask gives (not mkstemp's 0600).
    real = path.resolve()
    try:
        mode = stat.S_IMODE(real.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    write_atomically(real, (json.dumps(document, indent=1) + "\n").encode(), mode=mode)


def read_baseline(path: Path) -> Counter[tuple[str, str, str]]:
    try:
        document = json.loads(read_regular_file(path).decode("utf-8"))
        if document.get("otel-lint-baseline") != FORMAT:
            raise ValueError("not an otel-lint baseline of this format")
        return Counter((e["path"], e["code"], e["fingerprint"]) for e in document["findings"])
    except OSError as error:
        raise BaselineError(
            f"{path}: cannot read the baseline: {error.strerror or error}"
        ) from None
    except RecursionError:
        raise BaselineError(f"{path}: not a valid baseline: nested too deeply") from None
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BaselineError(f"{path}: not a valid baseline: {error}") from None


def new_findings(
    findings: Sequence[Finding], baseline: Counter[tuple[str, str, str]]
) -> list[Finding]:
    """The findings the baseline does not account for (each entry accounts for one finding)."""
    remaining = Counter(baseline)
    fresh = []
    for finding in findings:
        key = _key(finding)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            fresh.append(finding)
    return fresh
