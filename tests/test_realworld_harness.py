"""The real-world harness's bookkeeping: pairing judgments with findings, precision, sampling."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from realworld.fetch import UnsafeArchive, check_member_name
from realworld.judgments import (
    Judgment,
    JudgmentsError,
    Verdict,
    compare,
    judgment_row,
    parse_judgments,
)
from realworld.lint import Finding, normalise_text, relative_path
from realworld.pins import Pin, PinsError, parse_pins
from realworld.precision import Tally, render_table, tally
from realworld.sampling import sample, spread


def finding(line: int, text: str, code: str = "OTL201", path: str = "pkg/a.py") -> Finding:
    return Finding("pkg", path, line, 1, code, "message", normalise_text(text))


def judgment(
    line: int, text: str, verdict: Verdict = Verdict.TRUE, code: str = "OTL201"
) -> Judgment:
    return Judgment("pkg", code, "pkg/a.py", line, verdict, "reason", normalise_text(text))


def test_a_judgment_follows_its_line_when_code_above_it_moved() -> None:
    moved = finding(14, 'span.set_attribute("user.id", uid)')
    other = finding(10, "tracer.start_span(name)")
    result = compare([other, moved], [judgment(10, 'span.set_attribute("user.id",   uid)')])
    # The text wins over the old line number, which now holds a different finding.
    assert [(pair[0].line, pair[1].line) for pair in result.judged] == [(14, 10)]
    assert result.unjudged == (other,)
    assert result.disappeared == ()


def test_without_a_text_match_the_line_number_pairs() -> None:
    edited = finding(7, "span.set_attribute(key, value)  # reworded")
    result = compare([edited], [judgment(7, "span.set_attribute(key, value)")])
    assert [pair[0] for pair in result.judged] == [edited]


def test_the_nearest_line_with_the_same_text_is_chosen() -> None:
    far, near = finding(3, "x = 1"), finding(40, "x = 1")
    result = compare([far, near], [judgment(38, "x = 1")])
    assert result.judged[0][0] is near
    assert result.unjudged == (far,)


def test_pairs_are_one_to_one_and_the_code_must_agree() -> None:
    same_line = [finding(5, "a(b, c)"), finding(5, "a(b, c)")]
    judgments = [
        judgment(5, "a(b, c)"),
        judgment(5, "a(b, c)", Verdict.FALSE),
        judgment(5, "a(b, c)"),
        judgment(5, "a(b, c)", code="OTL301"),
    ]
    result = compare(same_line, judgments)
    assert len(result.judged) == 2
    assert [j.verdict for _, j in result.judged] == [Verdict.TRUE, Verdict.FALSE]
    assert [j.code for j in result.disappeared] == ["OTL201", "OTL301"]
    assert result.unjudged == ()


def test_precision_counts_true_and_false_only() -> None:
    findings = [finding(line, f"line {line}") for line in range(1, 7)]
    verdicts = [Verdict.TRUE, Verdict.TRUE, Verdict.TRUE, Verdict.FALSE, Verdict.DEBATABLE]
    judgments = [judgment(n, f"line {n}", v) for n, v in enumerate(verdicts, start=1)]
    judgments.append(judgment(99, "gone"))
    counts = tally([compare(findings, judgments)], sample(findings)).by_rule["OTL201"]
    assert (counts.findings, counts.judged, counts.unjudged) == (6, 5, 1)
    assert (counts.true, counts.false, counts.debatable, counts.disappeared) == (3, 1, 1, 1)
    assert counts.precision == pytest.approx(0.75)
    assert counts.to_judge == 1


def test_nothing_decided_is_no_precision_and_the_table_says_so() -> None:
    only_debatable = Tally(findings=1, debatable=1)
    assert only_debatable.precision is None
    tallies = tally([compare([finding(1, "x")], [judgment(1, "x", Verdict.DEBATABLE)])])
    table = render_table(tallies, {"OTL201": "preview"}, show_sample=False)
    rule_row = next(line for line in table.splitlines() if line.startswith("OTL201"))
    assert rule_row.split() == ["OTL201", "preview", "1", "1", "0", "0", "1", "-", "0", "0"]


def test_the_default_rules_are_totalled_apart_from_preview_ones() -> None:
    """The target is for what users get by default: preview rules count only in the total."""
    wrong = [judgment(1, "x", Verdict.FALSE)]
    tallies = tally([compare([finding(1, "x")], wrong)])
    tallies.by_rule["OTL301"] = Tally(findings=2, true=2)
    table = render_table(tallies, {"OTL201": "preview"}, show_sample=False).splitlines()
    default = next(line for line in table if line.startswith("default rules")).split()
    total = next(line for line in table if line.startswith("total")).split()
    assert default[2:9] == ["2", "2", "2", "0", "0", "100%", "0"]
    assert total[1:8] == ["3", "3", "2", "1", "0", "67%", "0"]


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, ()),
        (3, (0, 1, 2)),
        (8, tuple(range(8))),
        (9, (0, 1, 2, 3, 4, 5, 6, 8)),
        (15, (0, 2, 4, 6, 8, 10, 12, 14)),
        (100, (0, 14, 28, 42, 56, 70, 84, 99)),
    ],
)
def test_spread_takes_all_of_few_and_an_even_spread_of_many(
    count: int, expected: tuple[int, ...]
) -> None:
    assert spread(count) == expected


def test_sample_is_per_package_and_rule_over_the_sorted_findings() -> None:
    many = [finding(line, "x") for line in range(20, 0, -1)]  # given unsorted
    few = [finding(line, "y", code="OTL301") for line in (5, 6)]
    chosen = sample([*many, *few])
    assert sorted(f.line for f in chosen if f.code == "OTL201") == [1, 3, 6, 9, 11, 14, 17, 20]
    assert {f for f in chosen if f.code == "OTL301"} == set(few)


def test_a_judgment_file_round_trips_and_rejects_bad_rows() -> None:
    row = judgment_row(finding(12, "\tspan.set_attribute('a',\tb)"), "FALSE", "bounded set")
    text = "code\tlocation\tverdict\treason\ttext\n# a comment\n\n" + row + "\n"
    (parsed,) = parse_judgments("pkg", text)
    assert (parsed.path, parsed.line, parsed.verdict) == ("pkg/a.py", 12, Verdict.FALSE)
    assert parsed.text == "span.set_attribute('a', b)"
    with pytest.raises(JudgmentsError, match="TRUE, FALSE or DEBATABLE"):
        parse_judgments("pkg", "OTL201\tpkg/a.py:3\tMAYBE\twhy\tx\n")
    with pytest.raises(JudgmentsError, match="path:line"):
        parse_judgments("pkg", "OTL201\tpkg/a.py\tTRUE\twhy\tx\n")
    with pytest.raises(JudgmentsError, match="reason"):
        parse_judgments("pkg", "OTL201\tpkg/a.py:3\tTRUE\t \tx\n")


@pytest.mark.parametrize("name", ["/etc/passwd", "pkg/../../x", "..", "C:/windows", "a\\..\\b"])
def test_archive_members_outside_the_folder_are_refused(name: str) -> None:
    with pytest.raises(UnsafeArchive):
        check_member_name(name)


def test_archive_members_inside_the_folder_pass() -> None:
    check_member_name("pkg-1.0/src/pkg/__init__.py")
    check_member_name("pkg-1.0/..hidden/file")


def test_reported_paths_become_relative_to_the_project(tmp_path: Path) -> None:
    assert relative_path(tmp_path, "./src/pkg/a.py") == "src/pkg/a.py"
    assert relative_path(tmp_path, str(tmp_path / "src" / "b.py")) == "src/b.py"


def test_pins_default_to_the_sdist_and_refuse_loose_versions() -> None:
    text = '[[package]]\nname = "a"\nversion = "1.0"\n\n'
    text += '[[package]]\nname = "b"\nversion = "2.0b1"\narchive = "wheel"\n'
    assert parse_pins(text) == (Pin("a", "1.0"), Pin("b", "2.0b1", "wheel"))
    assert Pin("a", "1.0").requirement == "a==1.0"
    with pytest.raises(PinsError, match="pinned exactly"):
        parse_pins('[[package]]\nname = "a"\nversion = ">=1"\n')
    with pytest.raises(PinsError, match="twice"):
        parse_pins('[[package]]\nname = "a"\nversion = "1"\n' * 2)
