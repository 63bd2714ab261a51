"""The bundled example: the tutorial service shows every family; its corrected twin, nothing."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from otel_lint.output.fixes import parses
from otel_lint.runner import RunOptions, run_lint

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def codes(path: Path, **options: object) -> Counter[str]:
    outcome = run_lint(RunOptions(paths=(path,), **options))  # type: ignore[arg-type]
    return Counter(f.code for f in outcome.findings)


def test_tutorial_service_findings_are_pinned() -> None:
    default = Counter(
        {
            "OTL101": 1, "OTL103": 1, "OTL104": 1,
            "OTL202": 2,
            "OTL301": 1, "OTL302": 1, "OTL303": 2, "OTL305": 2, "OTL306": 2,
            "OTL401": 1, "OTL405": 1,
            "OTL501": 1, "OTL503": 1,
        }
    )  # fmt: skip
    assert codes(EXAMPLES / "tutorial_service") == default
    # The rules in preview find their mistakes too, when asked.
    preview = default + Counter({"OTL201": 1, "OTL204": 1})
    assert codes(EXAMPLES / "tutorial_service", preview=True) == preview


def test_every_family_is_shown() -> None:
    families = {code[3] for code in codes(EXAMPLES / "tutorial_service")}
    assert families == {"1", "2", "3", "4", "5"}


def test_corrected_service_is_clean() -> None:
    assert codes(EXAMPLES / "corrected_service") == Counter()


def test_checking_both_keeps_their_project_facts_apart() -> None:
    # The corrected twin bridges logs to traces; that must not silence OTL101 in the tutorial one.
    together = codes(EXAMPLES)
    assert together == codes(EXAMPLES / "tutorial_service")


def test_fix_on_the_example_is_safe_and_idempotent(tmp_path: Path) -> None:
    copy = tmp_path / "tutorial_service"
    shutil.copytree(EXAMPLES / "tutorial_service", copy)
    before = codes(copy)
    fixed = run_lint(RunOptions(paths=(copy,), fix=True))
    assert sum(f.fixes for f in fixed.fixed) == 2
    after = Counter(f.code for f in fixed.findings)
    assert after["OTL301"] == 0 and after["OTL103"] == 0
    assert sum(after.values()) == sum(before.values()) - 2
    snapshot = {p.name: p.read_text() for p in copy.glob("*.py")}
    assert all(parses(text) for text in snapshot.values())
    again = run_lint(RunOptions(paths=(copy,), fix=True))
    assert again.fixed == ()
    assert {p.name: p.read_text() for p in copy.glob("*.py")} == snapshot
