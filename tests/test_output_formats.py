"""Every ``--output-format`` on one small project, pinned by a snapshot and read by its consumer.

Each machine format is parsed the way what reads it parses it: JSON Lines line by line, JUnit XML
by ``xml.etree`` and ``junitparser``, GitLab code quality and reviewdog's rdjson against the
schemas in ``tests/schemas/`` (written from their documentation: see the README there), SARIF
against the SARIF 2.1.0 schema. ``OTEL_LINT_UPDATE_SNAPSHOTS=1`` rewrites
``tests/format_snapshots/`` (read the diff before committing).
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from junitparser import Failure, JUnitXml

from otel_lint.cli import main
from otel_lint.output.formats import FORMATS, MACHINE_FORMATS

SCHEMAS = Path(__file__).parent / "schemas"
SNAPSHOTS = Path(__file__).parent / "format_snapshots"
UPDATE = os.environ.get("OTEL_LINT_UPDATE_SNAPSHOTS") == "1"

#: Three findings in a Python file: a fixable one (OTL301), and two on one key after a non-ASCII
#: character on its line (OTL302, OTL303: columns in characters; rdjson counts bytes).
SOURCE = (
    "from opentelemetry import trace\n"
    "span = trace.get_current_span()\n"
    'span.set_attribute("http.method", "GET")\n'
    'ñ = 1; span.set_attribute("userId", 1)\n'
)
#: A deployment file named on the command line that is not there: an OTL000 on a path that is not
#: Python, as deployment files will be linted too.
MISSING = "deploy/compose.yaml"
PYLINT_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+): \[(?P<code>OTL\d{3})\] (?P<message>.+)$")


def read_machine_output(output_format: str, data: bytes) -> object:
    """A machine format's output read as its consumer reads it: XML, JSON Lines or JSON."""
    if output_format == "junit":
        return ET.fromstring(data)
    text = data.decode("utf-8")
    if output_format == "json-lines":
        return [json.loads(line) for line in text.splitlines()]
    return json.loads(text)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["check", "--no-cache", *argv])
    return code, capsys.readouterr().out


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.otel-lint]\nnamespaces = ["acme"]\n')
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "orders.py").write_text(SOURCE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _output(capsys: pytest.CaptureFixture[str], output_format: str) -> str:
    code, out = _run(capsys, "--output-format", output_format, "app", MISSING)
    assert code == 1
    return out


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return schema


def _pinned(output_format: str, out: str) -> str:
    """What the snapshot holds: the output, less what changes with every release (SARIF's
    driver: otel-lint's version and every rule's page, checked by their own tests)."""
    if output_format != "sarif":
        return out
    document = json.loads(out)
    document["runs"][0]["tool"] = "(the driver: version and rules)"
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("output_format", list(FORMATS))
def test_each_format_matches_its_snapshot(
    project: Path, capsys: pytest.CaptureFixture[str], output_format: str
) -> None:
    actual = _pinned(output_format, _output(capsys, output_format))
    path = SNAPSHOTS / f"{output_format}.txt"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no snapshot; run with OTEL_LINT_UPDATE_SNAPSHOTS=1 to write {path}"
    assert actual == path.read_text(encoding="utf-8")


def test_check_help_names_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert all(name in help_text for name in FORMATS)


def test_text_and_concise_show_severity_and_mark_only_fixable_findings(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.otel-lint]\nnamespaces = ["acme"]\n[tool.otel-lint.severity]\nOTL303 = "info"\n'
    )
    for output_format in ("text", "concise"):
        out = _output(capsys, output_format)
        assert "app/orders.py:3:20: OTL301 [*] warning: `http.method`" in out
        assert "app/orders.py:4:27: OTL302 warning: `userId`" in out
        assert "app/orders.py:4:27: OTL303 info: `userId`" in out  # the configured severity
        assert f"{MISSING}:1:1: OTL000 error: file could not be checked" in out
        assert "[*] 1 fixable with the `--fix` option." in out


def test_grouped_heads_each_file_once(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "app" / "more.py").write_text(SOURCE)
    out = _output(capsys, "grouped")
    headings = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert headings[:3] == ["app/more.py:", "app/orders.py:", f"{MISSING}:"]
    assert "  3:20 OTL301 [*] warning: `http.method`" in out


def test_json_lines_is_the_json_list_one_object_a_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = json.loads(_output(capsys, "json"))
    lines = _output(capsys, "json-lines").splitlines()
    assert [json.loads(line) for line in lines] == listed
    assert len(listed) == 4


def test_junit_reads_as_one_suite_per_file_and_a_failure_per_finding(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _output(capsys, "junit")
    root = ET.fromstring(out.encode("utf-8"))
    assert root.tag == "testsuites" and root.get("tests") == root.get("failures") == "4"
    report = JUnitXml.fromstring(out)
    suites = {suite.name: suite for suite in report}
    assert sorted(suites) == ["app/orders.py", MISSING]
    assert suites["app/orders.py"].tests == 3 and suites["app/orders.py"].failures == 3
    (case,) = suites[MISSING]
    assert case.classname == MISSING  # a path, not turned into a Python module name
    (failure,) = case.result
    assert isinstance(failure, Failure)
    assert failure.type == "OTL000" and "No such file or directory" in (failure.message or "")


def test_junit_without_findings_is_one_passed_case(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "app" / "orders.py").write_text("x = 1\n")
    code, out = _run(capsys, "--output-format", "junit", "app")
    assert code == 0
    (suite,) = JUnitXml.fromstring(out)
    assert suite.tests == 1 and suite.failures == 0 and suite.errors == 0


def test_gitlab_report_is_valid_with_stable_unique_fingerprints(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = json.loads(_output(capsys, "gitlab"))
    jsonschema.validate(before, _schema("gitlab-code-quality.schema.json"))
    assert len({issue["fingerprint"] for issue in before}) == len(before) == 4

    # Lines added above move every finding: the fingerprints stay, GitLab sees the same issues.
    # The same key twice in the file: two issues, two fingerprints (GitLab keeps one per print).
    source = project / "app" / "orders.py"
    source.write_text("import os\n\n" + SOURCE + 'span.set_attribute("userId", 1)\n')
    after = json.loads(_output(capsys, "gitlab"))
    jsonschema.validate(after, _schema("gitlab-code-quality.schema.json"))
    assert {i["fingerprint"] for i in before} < {i["fingerprint"] for i in after}
    assert len({issue["fingerprint"] for issue in after}) == len(after) == 6
    moved = {i["fingerprint"]: i["location"]["lines"]["begin"] for i in after}
    shifts = [moved[i["fingerprint"]] - i["location"]["lines"]["begin"] for i in before[:3]]
    assert shifts == [2, 2, 2]


def test_gitlab_paths_are_relative_to_the_project(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_PROJECT_DIR", str(project))
    monkeypatch.chdir(project / "app")
    for named in (str(project / "app"), "orders.py", "."):
        code, out = _run(capsys, "--output-format", "gitlab", named)
        assert code == 1
        issues = json.loads(out)
        jsonschema.validate(issues, _schema("gitlab-code-quality.schema.json"))
        assert {issue["location"]["path"] for issue in issues} == {"app/orders.py"}, named


def test_rdjson_is_valid_with_byte_columns_and_suggestions(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(_output(capsys, "rdjson"))
    jsonschema.validate(document, _schema("rdjson.schema.json"))
    diagnostics = {(d["code"]["value"], d["location"]["path"]): d for d in document["diagnostics"]}
    userid = diagnostics[("OTL302", "app/orders.py")]["location"]["range"]
    # "ñ = 1; span.set_attribute(" is 26 characters and 27 UTF-8 bytes: reviewdog counts bytes.
    assert userid["start"] == {"line": 4, "column": 28}
    assert userid["end"] == {"line": 4, "column": 36}
    (suggestion,) = diagnostics[("OTL301", "app/orders.py")]["suggestions"]
    assert suggestion == {
        "range": {"start": {"line": 3, "column": 20}, "end": {"line": 3, "column": 33}},
        "text": '"http.request.method"',
    }
    assert "suggestions" not in diagnostics[("OTL302", "app/orders.py")]
    assert diagnostics[("OTL000", MISSING)]["severity"] == "ERROR"


def test_pylint_lines_parse(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    matches = [PYLINT_LINE.match(line) for line in _output(capsys, "pylint").splitlines()]
    parsed = [(m["path"], int(m["line"]), m["code"]) for m in matches if m is not None]
    assert len(parsed) == len(matches) == 4
    assert ("app/orders.py", 3, "OTL301") in parsed and (MISSING, 1, "OTL000") in parsed


def test_sarif_fixes_rewrite_the_file_as_fix_does(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(_output(capsys, "sarif"))
    jsonschema.validate(document, _schema("sarif-2.1.0-rtm.5.json"))
    results = document["runs"][0]["results"]
    assert [r["ruleId"] for r in results if "fixes" in r] == ["OTL301"]
    (fix,) = next(r for r in results if "fixes" in r)["fixes"]
    (change,) = fix["artifactChanges"]
    (replacement,) = change["replacements"]
    region, inserted = replacement["deletedRegion"], replacement["insertedContent"]["text"]

    lines = SOURCE.splitlines(keepends=True)
    assert region["startLine"] == region["endLine"]  # one line: apply it by columns
    line = lines[region["startLine"] - 1]
    lines[region["startLine"] - 1] = (
        line[: region["startColumn"] - 1] + inserted + line[region["endColumn"] - 1 :]
    )
    assert change["artifactLocation"]["uri"] == "app/orders.py"
    assert main(["check", "--no-cache", "--fix", "--exit-zero", "app"]) == 0
    capsys.readouterr()
    assert (project / "app" / "orders.py").read_text(encoding="utf-8") == "".join(lines)


def test_sarif_rules_carry_their_whole_page_as_help(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from otel_lint.catalogue.model import load_rules

    pages = {rule.code: rule.docs for rule in load_rules()}
    driver = json.loads(_output(capsys, "sarif"))["runs"][0]["tool"]["driver"]
    described = {rule["id"]: rule for rule in driver["rules"]}
    assert set(pages) - set(described) == {"OTL201", "OTL204"}  # in preview: they did not run
    for code, rule in described.items():
        if code not in pages:
            continue
        docs, help_ = pages[code], rule["help"]
        for part in (docs.what, docs.why, docs.example, docs.instead, docs.boundary):
            assert part.strip() in help_["text"] and part.strip() in help_["markdown"]
        assert "## What it does not flag" in help_["markdown"]
    assert all("help" in rule for rule in driver["rules"])


def _shown_messages(output_format: str, out: str) -> list[str]:
    document = json.loads(out)
    if output_format == "gitlab":
        return [issue["description"] for issue in document]
    return [diagnostic["message"] for diagnostic in document["diagnostics"]]


def test_every_format_escapes_or_encodes_forged_names_and_keys(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    named = "evil\x1b]0;owned\x07\n::error file=evil.py,line=1::forged\ufffe.py"
    (project / named).write_text(
        "from opentelemetry import trace\nspan = trace.get_current_span()\n"
        'span.set_attribute("""x\n::error file=evil.py,line=1::pwned""", 1)\n'
    )
    for output_format in FORMATS:
        code, out = _run(capsys, "--output-format", output_format, ".", MISSING)
        assert code == 1
        if output_format in MACHINE_FORMATS:
            read_machine_output(output_format, out.encode("utf-8"))
            assert "\x1b" not in out and "\x07" not in out
            if output_format in ("gitlab", "rdjson"):  # shown to people: escaped, as in text
                messages = _shown_messages(output_format, out)
                assert any("x\\x0a::error file=evil.py,line=1::pwned" in m for m in messages)
                assert not [m for m in messages if "\n" in m or "\x1b" in m]
            continue
        assert "\x1b" not in out and "\x07" not in out, output_format
        forged = [line for line in out.splitlines() if line.startswith("::error file=evil")]
        assert forged == [], output_format
        assert "pwned" in out and "forged" in out, output_format


def test_rules_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    from otel_lint.catalogue.model import load_rules

    assert main(["rules", "--output-format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    rules = {rule.code: rule for rule in load_rules()}
    assert [entry["code"] for entry in listed] == sorted(rules)
    keys = {"code", "name", "severity", "fixable", "preview", "summary", "family"}
    assert all(set(entry) == keys for entry in listed)
    by_code = {entry["code"]: entry for entry in listed}
    assert by_code["OTL301"]["fixable"] is True and by_code["OTL302"]["fixable"] is False
    assert by_code["OTL201"]["preview"] is True and by_code["OTL302"]["preview"] is False
    assert by_code["OTL205"]["severity"] == "error"
    assert by_code["OTL301"]["summary"] == rules["OTL301"].message
    assert by_code["OTL404"]["family"] == "manual spans"

    # The same rules, fix column and tiers as the table people read.
    assert main(["rules"]) == 0
    table = capsys.readouterr().out.splitlines()[1:]
    assert [row.split()[0] for row in table] == [entry["code"] for entry in listed]
    for row in table:
        code, name, severity, fix, tier = row.split()[:5]
        entry = by_code[code]
        assert (name, severity, fix == "yes", tier == "preview") == (
            entry["name"],
            entry["severity"],
            entry["fixable"],
            entry["preview"],
        )
