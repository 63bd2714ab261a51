"""The linter survives any source text it is given, and reports the right place in unusual files.

Unusual but valid files (coding cookies, byte order marks, CR / CRLF / mixed line endings, tabs,
form feeds, non-ASCII names, deep nesting, very large files) are linted, and a mistake planted in
each is reported at the line and column (in characters, 1-based) an editor shows. Broken and
pathological files are an OTL000 that says why, never a traceback or a hang. The fuzz tests feed
hypothesmith's generated programs and mutated real files to the engine; the default hypothesis
profile keeps the module quick, ``HYPOTHESIS_PROFILE=thorough python -m pytest
tests/test_reliability_source.py`` runs many more examples.
"""

from __future__ import annotations

import codecs
import contextlib
import importlib.util
import io
import json
import re
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from otel_lint.catalogue.model import InvalidExample, Rule, ValidExample, load_rules
from otel_lint.cli import main
from otel_lint.engine.limits import OutOfTime, time_limit
from otel_lint.engine.results import UNREADABLE
from otel_lint.findings import Finding
from otel_lint.project.source import UnreadableSource, decode_source, parser_text
from otel_lint.runner import RunOptions, run_lint

HEAD = "from opentelemetry import trace\n\nspan = trace.get_current_span()\n"
MISTAKE = 'span.set_attribute("http.method", "GET")'
#: Where the key of MISTAKE starts and ends, in characters after the start of MISTAKE.
KEY_START, KEY_END = MISTAKE.index('"http'), MISTAKE.index(", ")


def lint(path: Path, *, report_unused_noqa: bool = False) -> list[Finding]:
    outcome = run_lint(
        RunOptions(paths=(path,), use_cache=False, report_unused_noqa=report_unused_noqa)
    )
    return list(outcome.findings)


def where(findings: list[Finding], code: str = "OTL301") -> list[tuple[int, int, int, int]]:
    return [(f.line, f.column, f.end_line, f.end_column) for f in findings if f.code == code]


def otel_lint(path: Path, *options: str, timeout: float = 120) -> tuple[int, list[Finding], str]:
    """A real ``otel-lint check`` process (a native crash kills it, not the test run), in JSON.

    ``timeout`` is a hang guard far above what the check takes, not a timing assertion.
    """
    command = [sys.executable, "-m", "otel_lint.cli", "check", "--no-cache"]
    done = subprocess.run(
        [*command, "--output-format", "json", *options, str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    findings = [
        Finding(**{k: v for k, v in item.items() if k in FINDING_FIELDS})
        for item in json.loads(done.stdout)
    ]
    return done.returncode, findings, done.stderr


FINDING_FIELDS: tuple[str, ...] = ("code", "name", "message", "severity", "path", "line", "column")
FINDING_FIELDS += ("end_line", "end_column", "fingerprint")


def cli(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", "--no-cache", *map(str, argv)])
    assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


# --- unusual but valid files -------------------------------------------------------------------


def _case(text: str, encoding: str = "utf-8", bom: bool = False) -> tuple[bytes, int, int]:
    """The file's bytes and where (line, column) MISTAKE starts in it, counted as CPython does."""
    before = text[: text.index(MISTAKE)]
    lines = re.split(r"\r\n|\r|\n", before)
    data = text.encode(encoding)
    return (codecs.BOM_UTF8 + data if bom else data), len(lines), len(lines[-1]) + 1


_PLAIN = f"{HEAD}{MISTAKE}\n"
UNUSUAL = {
    "crlf": _case(_PLAIN.replace("\n", "\r\n")),
    # Classic Mac OS line endings: CPython reads a lone CR as the end of a line.
    "cr": _case(_PLAIN.replace("\n", "\r")),
    "mixed endings": _case(
        "from opentelemetry import trace\r\n\rspan = trace.get_current_span()\n\r\n"
        f"x = 1\r{MISTAKE}\r\n"
    ),
    "bom": _case(f"{HEAD}café = 'ünïcode'; {MISTAKE}\n", bom=True),
    "latin-1 cookie": _case(
        f"# -*- coding: latin-1 -*-\n{HEAD}name = 'café, señor'; {MISTAKE}\n", "latin-1"
    ),
    "cr with cookie": _case(
        f"# -*- coding: latin-1 -*-\r{HEAD}x = 'café'; {MISTAKE}\r".replace("\n", "\r"), "latin-1"
    ),
    "cookie on line 2": _case(
        f"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\n{HEAD}q = '€'; {MISTAKE}\n",
        "cp1252",
    ),
    "tabs": _case(f"{HEAD}if span:\n\tif span:\n\t\tx = 1;\t{MISTAKE}\n"),
    "non-ascii identifiers": _case(f"{HEAD}ñandú = 'lé'; 名前 = 1; \U0001d535 = 2; {MISTAKE}\n"),
    "astral characters": _case(f"{HEAD}x = '😀😀 𝄞'; {MISTAKE}\n"),
    # CPython treats these as ordinary characters (a form feed is whitespace), never as line ends.
    "form feed": _case(f"{HEAD}\x0c\nx = 1\n\x0cif span:\n\x0c    {MISTAKE}\n"),
    "unicode separators": _case(
        f"{HEAD}x = 'a\u2028b\u2029c\x85d\x1ce'  # \u2028 \x0b\n{MISTAKE}\n"
    ),
    "no final newline": _case(f"{HEAD}{MISTAKE}"),
}


@pytest.mark.parametrize("name", UNUSUAL)
def test_unusual_valid_files_are_linted_at_the_right_place(tmp_path: Path, name: str) -> None:
    data, line, column = UNUSUAL[name]
    compile(data, "unusual.py", "exec")  # valid Python, as CPython reads it
    path = tmp_path / "unusual.py"
    path.write_bytes(data)
    findings = lint(path)
    assert [f.code for f in findings if f.code == UNREADABLE] == []
    start = column + KEY_START
    assert where(findings) == [(line, start, line, start + KEY_END - KEY_START)]


def test_a_cookie_after_line_two_of_a_cr_file_is_not_honoured(tmp_path: Path) -> None:
    """As in CPython, whose tokenizer ends lines at a lone CR when it looks for the cookie."""
    data = "#!/usr/bin/env python\rx = 1\r# coding: latin-1\rname = 'café'\r".encode("latin-1")
    with pytest.raises(SyntaxError):
        compile(data, "late_cookie.py", "exec")
    path = tmp_path / "late_cookie.py"
    path.write_bytes(data)
    [finding] = lint(path)
    assert finding.code == UNREADABLE
    assert "not valid utf-8 (line 4" in finding.message


def test_bytes_that_are_not_utf8_in_a_comment_are_read_as_cpython_imports_them(
    tmp_path: Path,
) -> None:
    """CPython never decodes a comment of a UTF-8 file: a latin-1 "(c)" there imports fine."""
    data = f"# Copyright \xa9 2004 ACME\n{HEAD}x = 1  # caf\xe9\n{MISTAKE}  # \xff\n".encode(
        "latin-1"
    )
    compile(data, "legacy.py", "exec")
    path = tmp_path / "legacy.py"
    path.write_bytes(data)
    assert where(lint(path)) == [(6, 1 + KEY_START, 6, 1 + KEY_END)]
    code, out, _ = cli(path)  # the source line is shown, the byte as U+FFFD
    assert code == 1 and f"6 | {MISTAKE}  # \ufffd" in out
    # The fix leaves every other byte as it was.
    code, _, _ = cli("--fix", path)
    assert path.read_bytes() == data.replace(b'"http.method"', b'"http.request.method"')


def test_bytes_that_are_not_utf8_elsewhere_are_an_otl000(tmp_path: Path) -> None:
    data = f"{HEAD}name = 'caf\xe9'\n{MISTAKE}\n".encode("latin-1")
    with pytest.raises(SyntaxError):
        compile(data, "legacy.py", "exec")
    path = tmp_path / "legacy.py"
    path.write_bytes(data)
    [finding] = lint(path)
    byte = len(HEAD) + len("name = 'caf")
    assert finding.message == f"file could not be checked: not valid utf-8 (line 4, byte {byte})"


def test_fixes_keep_lone_cr_line_endings(tmp_path: Path) -> None:
    data, _, _ = UNUSUAL["cr"]
    path = tmp_path / "mac.py"
    path.write_bytes(data)
    cli("--fix", path)
    assert path.read_bytes() == data.replace(b'"http.method"', b'"http.request.method"')


COOKIES = ["utf-8", "UTF_8", "utf-8-whatever", "utf-8-sig", "latin-1", "Latin_1-x", "utf-7"]
COOKIES += ["unicode_escape", "cp037", "utf-16", "rot13", "hex", "base64", "zlib", "punycode"]
COOKIES += ["undefined", "mbcs", "no-such-codec"]


@pytest.mark.parametrize("bom", [False, True], ids=["", "bom"])
@pytest.mark.parametrize("encoding", COOKIES)
def test_any_coding_cookie_is_read_or_reported_as_cpython_would(
    tmp_path: Path, encoding: str, bom: bool
) -> None:
    data = f"# -*- coding: {encoding} -*-\n{HEAD}{MISTAKE}\n".encode("ascii")
    data = codecs.BOM_UTF8 + data if bom else data
    try:
        compile(data, "cookie.py", "exec")
    except SyntaxError:
        valid = False
    else:
        valid = True
    path = tmp_path / "cookie.py"
    path.write_bytes(data)
    findings = lint(path)
    if valid:
        assert [f.code for f in findings] == ["OTL301"]
    else:
        # What does decode may still not be Python (cp037 turns ASCII into other letters).
        assert [f.code for f in findings] == [UNREADABLE]


@pytest.mark.parametrize("name", ["cr", "mixed endings", "form feed", "unicode separators"])
def test_noqa_applies_to_the_line_cpython_numbers(tmp_path: Path, name: str) -> None:
    data, _, _ = UNUSUAL[name]
    text = data.decode()
    path = tmp_path / "suppressed.py"
    path.write_bytes(text.replace(MISTAKE, f"{MISTAKE}  # noqa: OTL301").encode())
    assert lint(path, report_unused_noqa=True) == []


@pytest.mark.parametrize(
    "name", ["non-ascii identifiers", "astral characters", "cr", "tabs", "unicode separators"]
)
def test_text_and_json_output_point_at_the_key(tmp_path: Path, name: str) -> None:
    data, line, column = UNUSUAL[name]
    path = tmp_path / "shown.py"
    path.write_bytes(data)
    start = column + KEY_START

    code, out, _ = cli("--output-format", "json", path)
    assert code == 1
    [finding] = json.loads(out)
    assert (finding["line"], finding["column"]) == (line, start)

    code, out, _ = cli(path)
    assert code == 1
    location, _, source, caret = out.splitlines()[:4]
    assert location.startswith(f"{path}:{line}:{start}: OTL301")
    shown = source.split(" | ", 1)[1]
    marks = caret.split(" | ", 1)[1]
    assert shown.endswith(MISTAKE)
    # The caret sits under the key whatever the characters before it are.
    assert marks.index("^") == start - 1
    assert shown[marks.index("^") :].startswith('"http.method"')


# --- deep nesting --------------------------------------------------------------------------------

NESTED_HEAD = (
    "import logging\nfrom opentelemetry import metrics, trace\n"
    "tracer = trace.get_tracer(__name__)\nmeter = metrics.get_meter(__name__)\n"
    'counter = meter.create_counter("app.requests", unit="1")\n'
    "logger = logging.getLogger(__name__)\nspan = trace.get_current_span()\n"
    f"{MISTAKE}\n"
)
#: Where NESTED_HEAD's mistake is reported.
NESTED_MISTAKE = (8, 1 + KEY_START, 8, 1 + KEY_END)


def nested(shape: str, depth: int) -> str:
    """An expression ``depth`` levels deep in the way ``shape`` nests."""
    shapes = {
        "parentheses": lambda: "(" * depth + "user_id" + ")" * depth,
        "calls": lambda: "str(" * depth + "user_id" + ")" * depth,
        "lists": lambda: "[" * depth + "user_id" + "]" * depth,
        "dicts": lambda: '{"k": ' * depth + "user_id" + "}" * depth,
        "plus strings": lambda: " + ".join(['"a"'] * depth),
        "plus names": lambda: " + ".join(["user_id"] * depth),
        "plus f-strings": lambda: " + ".join(['f"{user_id}"'] * depth),
        "times": lambda: " * ".join(["n"] * depth),
        "and": lambda: " and ".join(["user_id"] * depth),
        "or strings": lambda: " or ".join(['"a"'] * depth),
        "conditionals": lambda: "a if b else " * depth + "user_id",
        "not": lambda: "not " * depth + "user_id",
        "minus": lambda: "-" * depth + "n",
        "attributes": lambda: "request" + ".user" * depth,
        "subscripts": lambda: "rows" + "[0]" * depth,
        "method calls": lambda: "builder" + ".add()" * depth,
        "same-value methods": lambda: "user_id" + ".strip()" * depth,
        "same-value attributes": lambda: "user" + ".value" * depth,
        "powers": lambda: " ** ".join(["n"] * depth),
        "implicit concatenation": lambda: " ".join(['"a"'] * depth),
    }
    return shapes[shape]()


def nested_program(expression: str) -> str:
    """NESTED_HEAD, then ``expression`` wherever a check reads an expression."""
    return NESTED_HEAD + "".join(
        f"{line}\n"
        for line in (
            f"with tracer.start_as_current_span({expression}):",
            f'    span.set_attribute("app.value", {expression})',
            f'counter.add(1, {{"app.key": {expression}}})',
            f"logger.info({expression})",
            f"{expression}.set_attribute('app.key', 1)",
        )
    )


SHAPES = [
    "parentheses", "calls", "lists", "dicts", "plus strings", "plus names", "plus f-strings",
    "times", "and", "or strings", "conditionals", "not", "minus", "attributes", "subscripts",
    "method calls", "same-value methods", "powers", "implicit concatenation",
]  # fmt: skip
#: About as deep as CPython 3.11 compiles each shape: it allows 200 nested brackets, and chains of
#: about 3,000 terms (1,500 for method calls, which nest twice per term).
CPYTHON_DEPTH = {"parentheses": 190, "calls": 190, "lists": 190, "dicts": 190}
CPYTHON_DEPTH |= {"method calls": 1400, "same-value methods": 1400}


ACCEPTED = [(shape, CPYTHON_DEPTH.get(shape, 1500)) for shape in SHAPES]
# Near the limit: about 3,000 terms at module level, and compile() counts pytest's frames too.
ACCEPTED.append(("plus names", 2_500))


@pytest.mark.parametrize(("shape", "depth"), ACCEPTED, ids=[f"{s}-{d}" for s, d in ACCEPTED])
def test_nesting_as_deep_as_cpython_accepts_is_linted(
    tmp_path: Path, shape: str, depth: int
) -> None:
    source = nested_program(nested(shape, depth))
    compile(source, "nested.py", "exec")
    path = tmp_path / "nested.py"
    path.write_text(source)
    findings = lint(path)
    assert [f for f in findings if f.code == UNREADABLE] == []
    assert where(findings) == [NESTED_MISTAKE]


def test_an_expression_too_deep_for_a_check_is_an_otl000_there(tmp_path: Path) -> None:
    """``.value`` carries its owner's values, so the check follows it, recursively: in a chain
    longer than the recursion limit it gives up on that expression and the rest is checked."""
    path = tmp_path / "values.py"
    path.write_text(nested_program(nested("same-value attributes", 1500)))
    findings = lint(path)
    assert where(findings) == [NESTED_MISTAKE]
    deep = [f for f in findings if f.code == UNREADABLE]
    assert deep and all("nests too deeply" in f.message for f in deep)
    assert {f.line for f in deep} <= {9, 10, 11, 12, 13}


#: Long but flat: generated tables, argument lists and concatenations of 20,000 strings.
FLAT = {
    "list": "table = [" + ", ".join(f'"s{i}"' for i in range(20_000)) + "]",
    "concatenation": "text = (" + " ".join(f'"s{i}"' for i in range(20_000)) + ")",
    "call": "f(" + ", ".join(f'"s{i}"' for i in range(20_000)) + ")",
    "set_attribute": "span.set_attribute(" + ", ".join(f'"s{i}"' for i in range(20_000)) + ")",
    "attributes": "span.set_attributes({" + ", ".join(f'"k{i}": {i}' for i in range(20_000)) + "})",
}


@pytest.mark.parametrize("name", FLAT)
def test_long_flat_expressions_are_linted(tmp_path: Path, name: str) -> None:
    path = tmp_path / "flat.py"
    path.write_text(f"{HEAD}{FLAT[name]}\n{MISTAKE}\n")
    _, findings, _ = otel_lint(path, timeout=60)
    assert [f for f in findings if f.code == UNREADABLE] == []
    assert where(findings) == [(5, 1 + KEY_START, 5, 1 + KEY_END)]


DEEPER = [
    (shape, 20_000)
    for shape in ["plus strings", "dicts", "conditionals", "parentheses", "method calls", "and"]
]
# Within the default time limit (10 s per started MiB) now, which makes it a test of speed too.
DEEPER += [("parentheses", 200_000), ("minus", 200_000), ("and", 200_000)]


@pytest.mark.parametrize(("shape", "depth"), DEEPER, ids=[f"{s}-{d}" for s, d in DEEPER])
def test_nesting_deeper_than_cpython_accepts_is_an_otl000_that_says_so(
    tmp_path: Path, shape: str, depth: int
) -> None:
    """CPython gives up (RecursionError, too many parentheses, MemoryError); so do we, fast.

    Linting these took minutes in one ast-grep call for strings and dicts (a node's parent costs
    time in proportion to its depth), and the search for syntax errors 35 s at 200,000 levels
    (it reads every node's text); the tree's depth is now measured first. CPython keeps an
    ``and`` chain flat and compiles it; tree-sitter nests it like the others, and it is declined
    the same way. Through a real process: a stack overflow in native code would kill it.
    """
    source = nested_program(nested(shape, depth))
    if shape == "and":
        if depth <= 20_000:  # compiling 200,000 terms five times takes seconds
            compile(source, "deeper.py", "exec")
    else:
        with pytest.raises((RecursionError, SyntaxError, MemoryError)):
            compile(source, "deeper.py", "exec")
    path = tmp_path / "deeper.py"
    path.write_text(source)
    code, findings, _ = otel_lint(path, timeout=60)
    assert code == 1
    [finding] = findings
    assert finding.code == UNREADABLE
    assert re.search(r"nested more than 3,000 levels deep at line (9|1[0-3])$", finding.message)
    assert 9 <= finding.line <= 13


# --- big files -----------------------------------------------------------------------------------


def test_a_single_expression_of_10000_lines_is_linted(tmp_path: Path) -> None:
    keys = [f'    "app.key_{i}": {i},\n' for i in range(10_000)]
    keys[5_000] = '    "http.method": "GET",\n'
    path = tmp_path / "one_expression.py"
    path.write_text(f"{HEAD}span.set_attributes({{\n{''.join(keys)}}})\n{MISTAKE}\n")
    findings = lint(path)
    assert [f for f in findings if f.code == UNREADABLE] == []
    assert where(findings) == [(5_005, 5, 5_005, 18), (10_006, 1 + KEY_START, 10_006, 1 + KEY_END)]


def generated_module(size: int) -> str:
    """A generated module of about ``size`` characters, mostly data tables, as code generators
    write them, with an instrumented function after each table; one mistake at each end."""
    head = (
        f"{HEAD}{MISTAKE}\nmeter = trace.get_tracer_provider()\n"
        "tracer = trace.get_tracer(__name__)\n\n\n"
    )
    blocks = [head]
    written, number = len(head), 0
    while written < size:
        rows = "".join(f'    ("key-{number}-{j}", {j}, {j}.5, "value {j}"),\n' for j in range(400))
        block = (
            f"TABLE_{number} = [\n{rows}]\n\n\n"
            f"def handler_{number}(request):\n"
            f'    with tracer.start_as_current_span("handler_{number}") as current:\n'
            f'        current.set_attribute("acme.table", {number})\n'
            f"        return TABLE_{number}[request.index]\n\n\n"
        )
        blocks.append(block)
        written += len(block)
        number += 1
    return "".join(blocks) + f"{MISTAKE}\n"


@pytest.mark.slow
def test_a_20_mb_generated_file_is_linted(tmp_path: Path) -> None:
    """About 30 s and 1.5 GB here (the parsed tree takes some 70 bytes a character), in a
    process of its own. Before facts about the whole file were computed once per file, a file
    like this took minutes: 465 s for 2 MB of instrumented functions."""
    source = generated_module(20 * 1024 * 1024)
    path = tmp_path / "generated.py"
    path.write_text(source)
    last = source.count("\n")
    code, findings, _ = otel_lint(path, timeout=600)
    assert code == 1
    assert [f.code for f in findings] == ["OTL301", "OTL301"]
    assert where(findings) == [
        (4, 1 + KEY_START, 4, 1 + KEY_END),
        (last, 1 + KEY_START, last, 1 + KEY_END),
    ]


# --- the time limit per file ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_and_quick(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated module of just under 2 MiB and a small file with a mistake, in one folder.

    The module takes seconds; the limits below allow it a fifth of one, and the small file,
    which takes milliseconds, a tenth: margins wide enough for a fast or a busy machine.
    """
    folder = tmp_path_factory.mktemp("time_limit")
    (folder / "generated.py").write_text(generated_module(2 * 1024 * 1024 - 64 * 1024))
    (folder / "quick.py").write_text(f"{HEAD}{MISTAKE}\n")
    return folder


def test_a_file_over_its_time_limit_is_an_otl000_naming_it(slow_and_quick: Path) -> None:
    code, findings, _ = otel_lint(slow_and_quick, "--file-time-limit", "0.1")
    assert code == 1
    late = [f for f in findings if f.path.endswith("generated.py")]
    assert [f.code for f in late] == [UNREADABLE]
    assert late[0].message == (
        "file could not be checked: checking it took longer than 0.2 s, its time limit "
        "(`file-time-limit`: 0.1 s per started MiB of source)"
    )
    assert where([f for f in findings if f.path.endswith("quick.py")]) == [
        (4, 1 + KEY_START, 4, 1 + KEY_END)
    ]


def test_the_time_limit_is_a_setting_and_a_late_file_is_not_cached(
    slow_and_quick: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_LINT_CACHE_DIR", str(tmp_path / "cache"))
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.otel-lint]\nfile-time-limit = 0.1\n")
    (project / "generated.py").write_bytes((slow_and_quick / "generated.py").read_bytes())
    outcome = run_lint(RunOptions(paths=(project,)))
    assert [(f.code, "0.1 s per started MiB" in f.message) for f in outcome.findings] == [
        (UNREADABLE, True)
    ]
    # With the cache on: a later run without the limit checks the file instead of remembering.
    outcome = run_lint(RunOptions(paths=(project,), file_time_limit=0))
    assert [f.code for f in outcome.findings] == ["OTL301", "OTL301"]


def test_without_a_signal_the_limit_is_checked_between_candidates(slow_and_quick: Path) -> None:
    """Signals reach only the main thread; elsewhere (and on Windows) the engine looks at the
    clock before each candidate."""
    found: list[Finding] = []
    options = RunOptions(paths=(slow_and_quick / "generated.py",), file_time_limit=0.1)
    worker = threading.Thread(target=lambda: found.extend(run_lint(options).findings))
    worker.start()
    worker.join(timeout=120)
    assert [f.code for f in found] == [UNREADABLE]
    assert "took longer than 0.2 s" in found[0].message


@pytest.mark.parametrize(
    ("value", "toml"), [("-1", "-1"), ("nan", "nan"), ("inf", "inf"), ("soon", '"soon"')]
)
def test_a_time_limit_that_is_not_seconds_is_a_usage_error(
    value: str, toml: str, tmp_path: Path
) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        main(["check", "--file-time-limit", value, str(tmp_path)])
    assert exit_.value.code == 2
    assert f"not a number of seconds (0 or more): {value}" in err.getvalue()
    (tmp_path / "pyproject.toml").write_text(f"[tool.otel-lint]\nfile-time-limit = {toml}\n")
    code, _, err_text = cli(tmp_path)
    assert code == 2
    assert "`file-time-limit`" in err_text


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timers here")
def test_the_limit_gives_back_a_timer_someone_else_set() -> None:
    """pytest-timeout, for one, sets a timer and a SIGALRM handler of its own."""
    theirs = signal.signal(signal.SIGALRM, lambda signum, frame: None)
    handler = signal.getsignal(signal.SIGALRM)
    try:
        signal.setitimer(signal.ITIMER_REAL, 60)
        with pytest.raises(OutOfTime), time_limit(0.05):
            time.sleep(5)  # the signal interrupts the sleep
        with time_limit(5):
            pass
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 30 < left <= 60
        assert signal.getsignal(signal.SIGALRM) is handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, theirs)


# --- fuzzing -------------------------------------------------------------------------------------


#: Known-good sources to mutate: our examples and rule examples, our own code, the installed
#: OpenTelemetry API and SDK (every 7th file of at most 32 KB, for variety at a bounded cost).
def _every_example(rule: Rule) -> list[InvalidExample | ValidExample]:
    return [*rule.examples.invalid, *rule.examples.valid]


def _seeds() -> list[bytes]:
    repository = Path(__file__).resolve().parents[1]
    paths = sorted((repository / "examples").rglob("*.py"))
    paths += sorted((repository / "src" / "otel_lint").rglob("*.py"))[::3]
    trace_spec = importlib.util.find_spec("opentelemetry.trace")
    assert trace_spec is not None and trace_spec.origin is not None
    installed = Path(trace_spec.origin).parents[1]
    paths += [p for p in sorted(installed.rglob("*.py")) if p.stat().st_size <= 32_768][::7]
    seeds = [path.read_bytes() for path in paths]
    seeds += [
        example.code.encode()
        for rule in load_rules()
        for example in _every_example(rule)
        if example.code
    ]
    return seeds


SEEDS = _seeds()
CODES = {"OTL000", "OTL001", *(rule.code for rule in load_rules())}
ENCODINGS = ["utf-8", "latin-1", "cp1252", "utf-16", "ascii", "rot13", "bogus", "utf-8-sig"]


def _at(draw: st.DrawFn, data: bytes) -> int:
    return draw(st.integers(0, len(data)))


def _line_start(draw: st.DrawFn, data: bytes) -> int:
    starts = [0, *(m.end() for m in re.finditer(rb"\r\n|\r|\n", data))]
    return draw(st.sampled_from(starts))


MUTATIONS: dict[str, Callable[[st.DrawFn, bytes], bytes]] = {
    "truncate": lambda draw, d: d[: _at(draw, d)],
    "flip a byte": lambda draw, d: (
        d if not d else _flip(d, draw(st.integers(0, len(d) - 1)), draw(st.integers(1, 255)))
    ),
    "insert bytes": lambda draw, d: _insert(
        d, _at(draw, d), draw(st.binary(min_size=1, max_size=8))
    ),
    "insert a NUL": lambda draw, d: _insert(d, _at(draw, d), b"\x00"),
    "insert a line end": lambda draw, d: _insert(
        d, _at(draw, d), draw(st.sampled_from([b"\r", b"\r\n", b"\n", b"\x0c", "\u2028".encode()]))
    ),
    "indent a line": lambda draw, d: _insert(
        d, _line_start(draw, d), draw(st.sampled_from([b" ", b"\t", b"    ", b"\t  ", b"\x0c"]))
    ),
    "dedent a line": lambda draw, d: _dedent(d, _line_start(draw, d)),
    "delete a span": lambda draw, d: _cut(d, _at(draw, d), draw(st.integers(1, 200))),
    "repeat a span": lambda draw, d: _repeat(d, _at(draw, d), draw(st.integers(1, 200))),
    "nest": lambda draw, d: _insert(
        d,
        _at(draw, d),
        draw(st.sampled_from([b"(", b"[", b"{", b"not ", b"-", b"a + ", b"x.", b"f("]))
        * draw(st.integers(1, 400)),
    ),
    "coding cookie": lambda draw, d: (
        b"# -*- coding: " + draw(st.sampled_from(ENCODINGS)).encode() + b" -*-\n" + d
    ),
    "byte order mark": lambda draw, d: _insert(
        d, draw(st.sampled_from([0, _at(draw, d)])), codecs.BOM_UTF8
    ),
}


def _flip(data: bytes, index: int, mask: int) -> bytes:
    return data[:index] + bytes([data[index] ^ mask]) + data[index + 1 :]


def _insert(data: bytes, index: int, extra: bytes) -> bytes:
    return data[:index] + extra + data[index:]


def _cut(data: bytes, index: int, length: int) -> bytes:
    return data[:index] + data[index + length :]


def _repeat(data: bytes, index: int, length: int) -> bytes:
    return _insert(data, index, data[index : index + length])


def _dedent(data: bytes, start: int) -> bytes:
    indent = len(data[start:]) - len(data[start:].lstrip(b" \t"))
    return _cut(data, start, max(1, indent // 2)) if indent else data


@st.composite
def mutated_sources(draw: st.DrawFn) -> bytes:
    """A real file, mutated one to four times."""
    data = draw(st.sampled_from(SEEDS))
    for name in draw(st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=4)):
        data = MUTATIONS[name](draw, data)
        event(name)
    return data


def cpython_reads(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, "fuzzed.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def assert_well_placed(findings: list[Finding], data: bytes) -> None:
    """Every finding points into the file: its lines (as CPython counts them) and columns."""
    try:
        text = parser_text(decode_source(data).text)
    except UnreadableSource:
        assert [(f.code, f.line, f.column) for f in findings] == [(UNREADABLE, 1, 1)]
        return
    lines = text.split("\n")  # after parser_text, every line end is an LF (CRLF keeps its CR)
    for finding in findings:
        assert 1 <= finding.line <= finding.end_line <= len(lines), finding
        assert 1 <= finding.column <= len(lines[finding.line - 1]) + 1, finding
        assert 1 <= finding.end_column <= len(lines[finding.end_line - 1]) + 1, finding
        if finding.line == finding.end_line:
            assert finding.column <= finding.end_column, finding
        if finding.fix is not None:
            fix = finding.fix
            assert 0 <= fix.start_offset <= fix.end_offset <= len(text), finding
            before = text[: fix.start_offset].split("\n")
            assert (fix.line, fix.column) == (len(before), len(before[-1]) + 1), finding


def lint_bytes(folder: Path, data: bytes) -> list[Finding]:
    path = folder / "fuzzed.py"
    path.write_bytes(data)
    return lint(path)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=mutated_sources())
def test_mutated_real_files_never_break_the_linter(tmp_path: Path, data: bytes) -> None:
    findings = lint_bytes(tmp_path, data)
    assert {f.code for f in findings} <= CODES
    assert_well_placed(findings, data)
    if cpython_reads(data):
        # Only what CPython refuses is unreadable (or what nests deeper than it compiles).
        assert [
            f.message for f in findings if f.code == UNREADABLE and "levels deep" not in f.message
        ] == []


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith compiles what it writes
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(program=hypothesmith.from_grammar())
def test_generated_programs_are_linted_and_the_mistake_found(tmp_path: Path, program: str) -> None:
    source = f"{HEAD}{program.rstrip()}\n{MISTAKE}\n"
    assume(cpython_reads(source.encode()))
    findings = lint_bytes(tmp_path, source.encode())
    assert_well_placed(findings, source.encode())
    assert [f for f in findings if f.code == UNREADABLE] == []
    last = len(re.split(r"\r\n|\r|\n", source)) - 1
    assert (last, 1 + KEY_START, last, 1 + KEY_END) in where(findings)


@settings(max_examples=3, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sources=st.lists(mutated_sources(), min_size=8, max_size=16))
def test_the_command_line_exits_0_or_1_on_a_folder_of_mutated_files(
    tmp_path_factory: pytest.TempPathFactory, sources: list[bytes]
) -> None:
    """In worker processes (8 files or more), where the time limit is a signal too."""
    folder = tmp_path_factory.mktemp("fuzzed")
    for number, data in enumerate(sources):
        (folder / f"file_{number}.py").write_bytes(data)
    _, findings, _ = otel_lint(folder, "--jobs", "2")
    for number, data in enumerate(sources):
        assert_well_placed([f for f in findings if f.path.endswith(f"file_{number}.py")], data)
