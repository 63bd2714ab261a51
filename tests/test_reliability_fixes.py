"""``--fix`` never breaks a file: it still parses, keeps its encoding and line endings, and a
write that fails or is killed midway leaves the user's file as it was.

The property test assembles programs from the fixable rules' flagged examples and other rules'
snippets, in UTF-8, UTF-8 with a BOM or latin-1 with a coding cookie, with LF, CRLF or mixed line
endings, sometimes indented inside a function. The default hypothesis profile keeps it quick;
``HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_reliability_fixes.py`` runs more.
"""

from __future__ import annotations

import ast
import codecs
import contextlib
import io
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from otel_lint.catalogue.model import InvalidExample, Rule, ValidExample, load_rules
from otel_lint.checks import fixable
from otel_lint.cli import main
from otel_lint.conventions.registry import load_registry
from otel_lint.engine.analysis import analyze_text
from otel_lint.findings import Finding
from otel_lint.output.fixes import FixedFile, UnwrittenFix, fix_file, parses
from otel_lint.project.source import decode_source

BAD = 'span.set_attribute("http.method", "GET")\n'
GOOD = 'span.set_attribute("http.request.method", "GET")\n'
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
COOKIE = "# -*- coding: latin-1 -*-\n"


def check(*argv: str | Path) -> tuple[int, list[dict[str, object]], str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", "--output-format", "json", *map(str, argv)])
    assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue()
    return code, json.loads(out.getvalue()), err.getvalue()


def _every_example(rule: Rule) -> list[InvalidExample | ValidExample]:
    return [*rule.examples.invalid, *rule.examples.valid]


def _examples() -> tuple[list[str], list[str]]:
    rules = load_rules()
    fixed = [
        e.code
        for r in rules
        if fixable(r.code, r.fix)
        for e in r.examples.invalid
        if e.fixed and e.code
    ]
    others = [e.code for r in rules for e in _every_example(r) if e.code]
    return sorted(set(fixed)), sorted(set(others) - set(fixed))


FIXABLE, OTHERS = _examples()
STATEMENTS = ["x = 1\n", "pass\n", "import os\n", "# a comment: café\n", "\n", "name = 'é'\n"]


#: Fixable expressions; {q} is a quote the generator picks.
EXPRESSIONS = [
    "hex(ctx.trace_id)",
    "str(span.get_span_context().trace_id)",
    "format(context.trace_id, {q}016x{q})",
    "span.set_attribute({q}http.method{q}, value)",
    "{{{q}db.statement{q}: sql}}",
    "f{q}{{ctx.trace_id:x}}{q}",
]
QUOTES = ['"', "'", '"""', "'''"]


@st.composite
def nested_expressions(draw: st.DrawFn) -> str:
    """A fixable expression inside f-string fields, nested up to three deep, any quotes."""
    expression = draw(st.sampled_from(EXPRESSIONS)).format(q=draw(st.sampled_from(QUOTES)))
    for _ in range(draw(st.integers(0, 3))):
        quote = draw(st.sampled_from(QUOTES))
        expression = f"f{quote}{{{expression}}}{quote}"
    return f"value = {expression}\n"


@st.composite
def programs(draw: st.DrawFn) -> tuple[bytes, str]:
    """A program's bytes and how it was encoded."""
    fixable = st.sampled_from(FIXABLE) | nested_expressions()
    parts = draw(st.lists(fixable, min_size=1, max_size=3)) + draw(
        st.lists(st.sampled_from(OTHERS) | st.sampled_from(STATEMENTS), max_size=5)
    )
    parts = draw(st.permutations(parts))
    text = "".join(part if part.endswith("\n") else part + "\n" for part in parts)
    indent = draw(st.sampled_from(["", "    ", "\t", "  "]))
    if indent:
        text = "def wrapper():\n" + "".join(
            indent + line if line.strip() else line for line in text.splitlines(keepends=True)
        )
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]))
    if encoding == "latin-1":
        text = COOKIE + text
        assume(all(ord(c) < 256 for c in text))
    endings = draw(st.sampled_from(["\n", "\r\n", "mixed"]))
    lines = text.splitlines(keepends=True)
    if endings == "mixed":
        choices = draw(st.lists(st.booleans(), min_size=len(lines), max_size=len(lines)))
        lines = [
            line.replace("\n", "\r\n") if crlf else line
            for line, crlf in zip(lines, choices, strict=True)
        ]
    elif endings == "\r\n":
        lines = [line.replace("\n", "\r\n") for line in lines]
    return "".join(lines).encode(encoding), encoding


def python_parses(data: bytes) -> bool:
    try:
        ast.parse(data)  # CPython's own reading: cookie, BOM and line endings included
    except SyntaxError:
        return False
    return True


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(program=programs())
# Found by this test: the fix's quotes were the outer f-string's, which only Python 3.12 reads.
@example(program=(b"value = f'{f\"{hex(ctx.trace_id)}\"}'\n", "utf-8"))
def test_fix_keeps_the_file_parsing_and_its_bytes_shape(
    tmp_path: Path, program: tuple[bytes, str]
) -> None:
    original, encoding = program
    assume(python_parses(original) or parses(decode_source(original).text))
    module = tmp_path / "m.py"
    module.write_bytes(original)
    _, before, _ = check("--no-cache", module)

    code, after, err = check("--fix", module)
    assert code in (0, 1), err
    fixed = module.read_bytes()
    # Whatever the fixes did, the file still reads as Python, the same way as before.
    if python_parses(original):
        assert python_parses(fixed)
    source = decode_source(original)
    if parses(source.text):
        assert parses(decode_source(fixed).text)
    assert len(after) <= len(before)
    if fixed != original:
        event("fixed")
        assert "Fixed" in err
        assert len(after) < len(before)
    # Encoding, BOM and every line ending are as they were.
    assert decode_source(fixed).encoding == source.encoding
    assert fixed.startswith(codecs.BOM_UTF8) == (encoding == "utf-8-sig")
    assert fixed.count(b"\r\n") == original.count(b"\r\n")
    assert fixed.count(b"\n") == original.count(b"\n")
    assert fixed.splitlines()[0] == original.splitlines()[0] or encoding != "latin-1"
    # A second --fix has nothing left to do.
    check("--fix", module)
    assert module.read_bytes() == fixed


# --- the write itself --------------------------------------------------------------------------


def big_fixable_file(path: Path, megabytes: int) -> bytes:
    """A file with one fix to make and megabytes of string after it (quick to lint)."""
    data = (BAD + 'DATA = """\n' + ("x" * 99 + "\n") * (megabytes * 10_000) + '"""\n').encode()
    path.write_bytes(data)
    return data


def temporaries(folder: Path) -> list[Path]:
    return sorted(folder.glob(".otel-lint-*.tmp"))


def fix_with_size_limit(cwd: Path, limit: int, *paths: str) -> subprocess.CompletedProcess[str]:
    """``otel-lint check --fix`` in a process that may write no file past ``limit`` bytes."""

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past it fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "otel_lint.cli", "check", "--fix", *paths],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1"},
        preexec_fn=limit_file_size,
        timeout=300,
    )


def test_a_write_that_fails_midway_leaves_the_file_and_says_so(tmp_path: Path) -> None:
    """The file size limit makes the write of the fixed file fail after its first megabyte."""
    (tmp_path / "pyproject.toml").write_text("[tool.otel-lint]\n")
    big = tmp_path / "big.py"
    original = big_fixable_file(big, 3)
    small = tmp_path / "small.py"
    small.write_text(BAD)

    done = fix_with_size_limit(tmp_path, 1_000_000, ".")
    assert done.returncode == 2, done.stderr
    assert (
        "otel-lint: error: could not write the fixes to big.py: File too large; "
        "the file is unchanged" in done.stderr
    )
    assert "Traceback" not in done.stderr
    assert big.read_bytes() == original
    assert temporaries(tmp_path) == []  # the partial copy was removed
    # The other file was fixed, and the one left unfixed is still reported.
    assert small.read_text() == GOOD
    assert "big.py:1:20: OTL301" in done.stdout


def test_a_hard_linked_file_whose_write_fails_midway_gets_its_old_bytes_back(
    tmp_path: Path,
) -> None:
    """Written in place, the fixed text (8 bytes longer) outgrows the size limit at its end."""
    (tmp_path / "pyproject.toml").write_text("[tool.otel-lint]\n")
    big = tmp_path / "big.py"
    original = big_fixable_file(big, 1)
    os.link(big, tmp_path / "linked.txt")

    done = fix_with_size_limit(tmp_path, len(original) + 4, "big.py")
    assert done.returncode == 2, done.stderr
    assert "could not write the fixes to big.py: File too large; the file is unchanged" in (
        done.stderr
    )
    assert big.read_bytes() == original
    assert big.stat().st_nlink == 2


def test_a_run_killed_while_writing_leaves_the_old_file_or_the_new_one(tmp_path: Path) -> None:
    """Killed as soon as the write has begun: the file is whole, never cut short."""
    (tmp_path / "pyproject.toml").write_text("[tool.otel-lint]\n")
    big = tmp_path / "big.py"
    original = big_fixable_file(big, 8)
    fixed = original.replace(b'"http.method"', b'"http.request.method"', 1)
    run = subprocess.Popen(
        [sys.executable, "-m", "otel_lint.cli", "check", "--fix", "--no-cache", "big.py"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    began = False
    while run.poll() is None and time.monotonic() < deadline:
        if temporaries(tmp_path) or big.stat().st_size != len(original):
            began = True
            run.send_signal(signal.SIGKILL)
            break
    run.wait(timeout=60)
    assert began, "the run ended before its write was seen"
    assert big.read_bytes() in (original, fixed)


@pytest.mark.skipif(AS_ROOT, reason="root may write into a read-only directory")
def test_a_read_only_directory_leaves_the_file_and_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    module = folder / "m.py"
    module.write_text(BAD)
    folder.chmod(0o555)
    try:
        code, findings, err = check("--fix", module)
    finally:
        folder.chmod(0o755)
    assert code == 2
    assert "could not write the fixes to" in err and "Permission denied" in err
    assert module.read_text() == BAD
    assert [f["code"] for f in findings] == ["OTL301"]


def lint_deprecated_keys(text: str) -> list[Finding]:
    """OTL301 over ``text``: the fixer's view of a file, as the run gives it."""
    rules = [rule for rule in load_rules() if rule.code == "OTL301"]
    return list(analyze_text("m.py", text, rules, load_registry()).findings)


def test_fix_file_reports_how_many_fixes(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(BAD * 3)
    assert fix_file("m.py", module, lint_deprecated_keys) == FixedFile("m.py", 3)
    assert module.read_text() == GOOD * 3


def test_a_file_edited_while_it_is_fixed_is_left_to_the_editor(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(BAD)
    edited = "# saved by the editor meanwhile\n" + BAD

    def lint_while_an_editor_saves(text: str) -> list[Finding]:
        module.write_text(edited)
        return lint_deprecated_keys(text)

    outcome = fix_file("m.py", module, lint_while_an_editor_saves)
    assert outcome == UnwrittenFix("m.py", "the file changed while it was being fixed")
    assert module.read_text() == edited
    assert temporaries(tmp_path) == []


def test_a_file_gone_before_it_is_fixed_is_left_alone(tmp_path: Path) -> None:
    assert fix_file("gone.py", tmp_path / "gone.py", lint_deprecated_keys) is None
    assert not (tmp_path / "gone.py").exists()


def test_fix_keeps_mode_and_handles_a_name_at_the_length_limit(tmp_path: Path) -> None:
    module = tmp_path / ("n" * 250 + ".py")  # 253 bytes: a longer temporary name would not fit
    module.write_text(BAD)
    module.chmod(0o751)
    code, findings, err = check("--fix", module)
    assert code == 0, err
    assert findings == []
    assert module.read_text() == GOOD
    assert module.stat().st_mode & 0o7777 == 0o751
    assert temporaries(tmp_path) == []


def test_fix_writes_a_hard_linked_file_in_place(tmp_path: Path) -> None:
    # A shared module linked into two services: both names must see the fix, as with ruff.
    module = tmp_path / "m.py"
    module.write_text(BAD + "x = 1\n")
    other = tmp_path / "shared" / "m.py"
    other.parent.mkdir()
    os.link(module, other)
    code, findings, err = check("--fix", module)
    assert (code, findings) == (0, []), err
    assert module.read_text() == other.read_text() == GOOD + "x = 1\n"
    assert module.stat().st_ino == other.stat().st_ino
    assert module.stat().st_nlink == 2
    assert temporaries(tmp_path) == []


def test_a_fix_that_would_break_the_file_is_left_out_and_the_others_kept(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "a = f\"{span.set_attribute('http.method', 1)}\"\n"
        "b = f\"{f'{hex(ctx.trace_id)}'}\"\n"  # its fix needs a third kind of quote
        "c = span.set_attribute('http.method', 1)\n"
    )
    code, findings, err = check("--fix", module)
    assert "Fixed" in err
    lines = module.read_text().splitlines()
    assert lines[0] == "a = f\"{span.set_attribute('http.request.method', 1)}\""
    assert lines[2] == "c = span.set_attribute('http.request.method', 1)"
    assert python_parses(module.read_bytes())
    if sys.version_info < (3, 12):  # later versions read the fix's nested quotes
        assert lines[1] == "b = f\"{f'{hex(ctx.trace_id)}'}\""
        assert (code, [f["line"] for f in findings]) == (1, [2])
