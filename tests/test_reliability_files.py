"""The file system as users have it, the same findings however a run is made, and a shared cache.

Symlinks (loops, links out of the tree, broken ones), unreadable and vanishing files, pipes and
odd names each end in an ``OTL000`` or a documented skip (README, "Which files are checked")
while every other file is still checked. A property test checks that findings do not depend on
``--jobs``, the cache, or the order of the paths given. Real ``otel-lint`` processes share one
cache at once, and one is killed midway. The default hypothesis profile keeps this quick;
``HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_reliability_files.py`` runs more.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_lint.cache.store import read_value
from otel_lint.catalogue.model import InvalidExample, Rule, ValidExample, load_rules
from otel_lint.checks import CheckSettings
from otel_lint.cli import main
from otel_lint.engine import workers
from otel_lint.engine.results import FileResult
from otel_lint.project.discovery import discover

BAD = 'span.set_attribute("http.method", "GET")\n'
GOOD = 'span.set_attribute("http.request.method", "GET")\n'
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def check(*argv: str | Path) -> tuple[int, str, str]:
    """The CLI in-process, its output captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", *map(str, argv)])
    return code, out.getvalue(), err.getvalue()


def found(*argv: str | Path) -> dict[str, str]:
    """Each reported path and its code (or its OTL000 message), from the JSON output."""
    code, out, err = check("--output-format", "json", *argv)
    assert code in (0, 1), err
    assert "Traceback" not in err and "internal error" not in err, err
    return {
        f["path"]: f["code"] if f["code"] != "OTL000" else f["message"] for f in json.loads(out)
    }


def command(*argv: str | Path) -> list[str]:
    return [sys.executable, "-m", "otel_lint.cli", *map(str, argv)]


def otel_lint(
    *argv: str | Path, cwd: Path, timeout: float = 120, cache: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """A real ``otel-lint`` process, with a generous time limit as a guard against hangs."""
    env = {**os.environ, "NO_COLOR": "1"}
    if cache is not None:
        env["OTEL_LINT_CACHE_DIR"] = str(cache)
    return subprocess.run(
        command(*argv), capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.otel-lint]\n")
    (root / "pkg" / "a.py").write_text(BAD)
    monkeypatch.chdir(root)
    return root


# --- symlinks ----------------------------------------------------------------------------------


@pytest.fixture
def linked(project: Path) -> Path:
    """A tree with every kind of link a checkout can hold."""
    outside = project.parent / "outside"
    outside.mkdir()
    (outside / "out.py").write_text(BAD)
    pkg = project / "pkg"
    (pkg / "inside.py").symlink_to("a.py")
    (pkg / "leaves.py").symlink_to(outside / "out.py")
    (pkg / "outdir").symlink_to(outside, target_is_directory=True)
    (pkg / "loop").symlink_to("..", target_is_directory=True)
    (pkg / "self.py").symlink_to("self.py")
    (pkg / "broken.py").symlink_to("missing.py")
    (pkg / ".#a.py").symlink_to("user@host.1234:1700000000")  # an editor's lock file
    return project


def test_links_are_not_followed_out_of_the_tree_or_round_a_loop(linked: Path) -> None:
    assert found(".") == {"pkg/a.py": "OTL301", "pkg/inside.py": "OTL301"}


def test_follow_symlinks_follows_each_real_directory_once(linked: Path) -> None:
    done = otel_lint("check", "--follow-symlinks", "--output-format", "json", ".", cwd=linked)
    assert done.returncode == 1, done.stderr
    paths = sorted(f["path"] for f in json.loads(done.stdout))
    # pkg/loop is the project again, already being walked: it is not walked a second time.
    assert paths == ["pkg/a.py", "pkg/inside.py", "pkg/leaves.py", "pkg/outdir/out.py"]


def test_a_loop_deep_in_the_tree_ends(project: Path) -> None:
    deep = project / "pkg" / "b" / "c"
    deep.mkdir(parents=True)
    (deep / "m.py").write_text(BAD)
    (deep / "up").symlink_to("../..", target_is_directory=True)  # back to pkg
    (deep / "sideways").symlink_to("../../b", target_is_directory=True)
    done = otel_lint("check", "--follow-symlinks", "--output-format", "json", ".", cwd=project)
    assert done.returncode == 1, done.stderr
    assert sorted(f["path"] for f in json.loads(done.stdout)) == ["pkg/a.py", "pkg/b/c/m.py"]


def test_follow_symlinks_is_also_a_setting(linked: Path) -> None:
    (linked / "pyproject.toml").write_text("[tool.otel-lint]\nfollow-symlinks = true\n")
    assert "pkg/outdir/out.py" in found(".")


def test_links_named_on_the_command_line_are_checked_or_reported(linked: Path) -> None:
    assert found("pkg/leaves.py", "pkg/self.py", "pkg/broken.py", "pkg/a.py") == {
        "pkg/leaves.py": "OTL301",  # named: checked, wherever it points
        "pkg/self.py": "file could not be checked: Too many levels of symbolic links",
        "pkg/broken.py": "file could not be checked: No such file or directory",
        "pkg/a.py": "OTL301",
    }


def test_fix_writes_through_a_symlink_and_keeps_it(linked: Path) -> None:
    code, _, err = check("--fix", "pkg/inside.py")
    assert code == 0, err
    assert (linked / "pkg" / "inside.py").is_symlink()
    assert (linked / "pkg" / "a.py").read_text() == GOOD


# --- unreadable, vanished and special files ------------------------------------------------------


@pytest.mark.skipif(AS_ROOT, reason="root reads files whatever their mode")
def test_unreadable_files_and_directories_are_reported(project: Path) -> None:
    locked = project / "pkg" / "locked.py"
    locked.write_text(BAD)
    closed = project / "pkg" / "closed"
    closed.mkdir()
    (closed / "m.py").write_text(BAD)
    locked.chmod(0)
    closed.chmod(0)
    try:
        assert found(".") == {
            "pkg/a.py": "OTL301",
            "pkg/closed": (
                "file could not be checked: directory could not be read: Permission denied"
            ),
            "pkg/locked.py": "file could not be checked: Permission denied",
        }
    finally:
        closed.chmod(0o755)
        locked.chmod(0o644)


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
def test_a_file_whose_read_fails_is_reported(project: Path) -> None:
    """Root-proof: /proc/self/mem opens, and its first read fails with EIO."""
    (project / "pkg" / "mem.py").symlink_to("/proc/self/mem")
    assert found("pkg/mem.py", "pkg/a.py") == {
        "pkg/a.py": "OTL301",
        "pkg/mem.py": "file could not be checked: Input/output error",
    }


def test_paths_that_do_not_exist_are_reported_and_the_rest_checked(project: Path) -> None:
    assert found("gone.py", "gone/", "pkg") == {
        "gone.py": "file could not be checked: No such file or directory",
        "gone": "file could not be checked: No such file or directory",
        "pkg/a.py": "OTL301",
    }


def test_a_file_deleted_after_discovery_is_reported_and_the_rest_checked(project: Path) -> None:
    (project / "pkg" / "b.py").write_text(BAD)
    targets = discover([Path(".")], [], project).targets
    assert [t.label for t in targets] == ["pkg/a.py", "pkg/b.py"]
    (project / "pkg" / "a.py").unlink()
    codes = [rule.code for rule in load_rules()]
    results = workers.check_files(targets, codes, CheckSettings(), jobs=1)
    by_label = {r.label: [(f.code, f.message) for f in r.findings] for r in results}
    assert by_label["pkg/a.py"] == [
        ("OTL000", "file could not be checked: No such file or directory")
    ]
    assert [code for code, _ in by_label["pkg/b.py"]] == ["OTL301"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_is_skipped_when_walking_and_reported_when_named(project: Path) -> None:
    os.mkfifo(project / "pkg" / "pipe.py")
    # A read of a pipe nobody writes to never returns: the time limit is the assertion.
    done = otel_lint(
        "check", "--output-format", "json", ".", "pkg/pipe.py", cwd=project, timeout=60
    )
    assert done.returncode == 1, done.stderr
    assert {(f["path"], f["code"]) for f in json.loads(done.stdout)} == {
        ("pkg/a.py", "OTL301"),
        ("pkg/pipe.py", "OTL000"),
    }
    assert "not a regular file" in done.stdout


def test_a_gitignore_line_that_is_not_a_pattern_is_ignored_like_git_does(project: Path) -> None:
    (project / "pkg" / "skipped.py").write_text(BAD)
    (project / ".gitignore").write_text("!\nfoo\\\nskipped.py\n")
    assert found(".") == {"pkg/a.py": "OTL301"}


# --- names -------------------------------------------------------------------------------------


ODD_NAMES = ["with space.py", "café.py", "日本語.py", "semi;colon,comma%25.py", "-dash.py"]


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "github"])
def test_odd_file_names_in_every_output_format(project: Path, output_format: str) -> None:
    folder = project / "dir with space é"
    folder.mkdir()
    for name in ODD_NAMES:
        (folder / name).write_text(BAD)
    raw = os.fsencode(folder) + b"/\xff\xfe.py"  # not UTF-8: Linux allows any bytes
    if sys.platform == "linux":
        Path(os.fsdecode(raw)).write_text(BAD)
    for _ in range(2):  # a cold run, then one from the cache
        done = otel_lint("check", "--output-format", output_format, ".", cwd=project)
        assert done.returncode == 1, done.stderr
        assert done.stderr == ""
        expected = len(ODD_NAMES) + 1 + (sys.platform == "linux")
        if output_format == "json":
            paths = [f["path"] for f in json.loads(done.stdout)]
            assert len(paths) == expected
            # Every path, the undecodable one included, names the file it came from.
            assert all((project / path).is_file() for path in paths), paths
        elif output_format == "sarif":
            results = json.loads(done.stdout)["runs"][0]["results"]
            uris = {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results
            }
            assert len(uris) == expected
            assert "dir%20with%20space%20%C3%A9/with%20space.py" in uris
            assert not any(" " in uri for uri in uris)
        elif output_format == "github":
            assert done.stdout.count("::warning file=") == expected
            assert "file=dir with space é/semi;colon%2Ccomma%2525.py," in done.stdout
        else:
            assert f"Found {expected} findings." in done.stdout
            assert "dir with space é/日本語.py:1:20: OTL301" in done.stdout


# --- the same findings however the run is made ---------------------------------------------------


def _every_example(rule: Rule) -> list[InvalidExample | ValidExample]:
    return [*rule.examples.invalid, *rule.examples.valid]


def _examples() -> list[tuple[str | None, dict[str, str] | None]]:
    rules = load_rules()
    return [(e.code, e.files) for r in rules for e in _every_example(r)]


#: Every one-file example of every rule, flagged or not: code the rules have opinions on.
SNIPPETS = sorted({code for code, _ in _examples() if code})
#: The rules' small-project examples: facts gathered across files decide their findings.
PROJECTS = [files for _, files in _examples() if files]
FOLDERS = ["src", "src/inner", "tests", "dir with space", "é"]

files = st.lists(
    st.tuples(
        st.sampled_from(FOLDERS),
        st.lists(st.sampled_from([*SNIPPETS, "def broken(:\n", "x = 1\n"]), min_size=1, max_size=3),
    ),
    min_size=6,
    max_size=14,
)


def _build(root: Path, drawn: list[tuple[str, list[str]]], project: dict[str, str]) -> None:
    (root / "pyproject.toml").write_text("[tool.otel-lint]\n")
    for number, (folder, parts) in enumerate(drawn):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / f"m{number}.py").write_text("\n".join(parts))
    # A project of its own: its facts must not decide findings in the others, nor theirs its.
    for name, text in project.items():
        path = root / "service" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "service" / "pyproject.toml").write_text("[project]\nname = 'service'\n")


def _spellings(root: Path, drawn: list[tuple[str, list[str]]]) -> list[list[str]]:
    """Ways to name each part of the tree: relative, with ./, absolute; folders and files."""
    names = [f"{folder}/m{number}.py" for number, (folder, _) in enumerate(drawn)]
    folders = sorted({folder for folder, _ in drawn})
    return [[name, f"./{name}", str(root / name)] for name in [*folders, *names, "service"]]


def _json_run(root: Path, paths: list[str], *options: str) -> str:
    here = Path.cwd()
    os.chdir(root)
    try:
        code, out, err = check("--output-format", "json", *options, *paths)
    finally:
        os.chdir(here)
    assert code in (0, 1), err
    return out


@settings(
    max_examples=max(6, settings().max_examples // 2),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=files, project=st.sampled_from(PROJECTS), data=st.data())
def test_findings_do_not_depend_on_jobs_cache_or_path_order(
    tmp_path_factory: pytest.TempPathFactory,
    drawn: list[tuple[str, list[str]]],
    project: dict[str, str],
    data: st.DataObject,
) -> None:
    root = tmp_path_factory.mktemp("tree")
    _build(root, drawn, project)
    spellings = _spellings(root, drawn)
    chosen = data.draw(st.lists(st.sampled_from(range(len(spellings))), min_size=1, unique=True))
    paths = [data.draw(st.sampled_from(spellings[index])) for index in chosen]
    reference = _json_run(root, paths, "--jobs", "1", "--no-cache")
    for jobs, cache in (("2", "--no-cache"), ("3", None), ("2", None), ("1", None)):
        shuffled = data.draw(st.permutations(paths), label=f"order for --jobs {jobs}")
        options = ["--jobs", jobs, *([cache] if cache else [])]
        assert _json_run(root, shuffled, *options) == reference, (jobs, cache, shuffled)


# --- two runs at once, and a run killed midway, share one cache ----------------------------------


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The installed OpenTelemetry packages and a few findings; its output without a cache."""
    import opentelemetry.trace

    root = tmp_path_factory.mktemp("big") / "tree"
    source = Path(opentelemetry.trace.__file__).parents[1]
    shutil.copytree(source, root / "opentelemetry", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "pyproject.toml").write_text("[tool.otel-lint]\n")
    for number in range(5):
        (root / f"bad{number}.py").write_text("\n" * number + BAD)
    cache = tmp_path_factory.mktemp("reference-cache")
    done = otel_lint("check", "--no-cache", "--output-format", "json", ".", cwd=root, cache=cache)
    assert done.returncode == 1, done.stderr
    assert len(json.loads(done.stdout)) >= 5
    return root, done.stdout


def entries(cache: Path) -> dict[Path, int]:
    """Whole cache entries and when each was written (temporaries of killed runs start with .)."""
    folder = cache / "results"
    if not folder.exists():
        return {}
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file() and p.name[0] != "."}


def assert_whole(cache: Path) -> None:
    for path in entries(cache):
        assert isinstance(read_value(path, FileResult), FileResult), path


def test_two_runs_at_once_give_the_same_findings_and_a_cache_a_third_uses(
    big_tree: tuple[Path, str], _isolated_cache: Path
) -> None:
    root, reference = big_tree
    argv = command("check", "--output-format", "json", ".")
    env = {**os.environ, "NO_COLOR": "1"}
    runs = [
        subprocess.Popen(argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 1, err
        assert out.decode() == reference
    written = entries(_isolated_cache)
    assert written
    assert_whole(_isolated_cache)
    third = otel_lint("check", "--output-format", "json", ".", cwd=root)
    assert third.stdout == reference
    assert entries(_isolated_cache) == written  # every entry reused, none written again


def test_a_run_killed_midway_leaves_a_cache_the_next_run_uses(
    big_tree: tuple[Path, str], _isolated_cache: Path
) -> None:
    root, reference = big_tree
    run = subprocess.Popen(
        command("check", "--jobs", "1", "--output-format", "json", "."),
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while len(entries(_isolated_cache)) < 25 and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=60)
    assert run.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    before = entries(_isolated_cache)
    assert len(before) >= 25
    assert_whole(_isolated_cache)
    after = otel_lint("check", "--output-format", "json", ".", cwd=root)
    assert after.returncode == 1, after.stderr
    assert after.stdout == reference
    now = entries(_isolated_cache)
    assert len(now) > len(before)  # the rest was written this time
    assert {path: now[path] for path in before} == before  # what the killed run wrote was reused


def test_exclude_applies_below_a_walked_root_that_lies_outside_the_base(tmp_path: Path) -> None:
    # A monorepo checked from its root with one service's configuration: the exclude patterns
    # are relative to the service's folder, which the walk reaches only below its start.
    service = tmp_path / "services" / "api"
    (service / "migrations").mkdir(parents=True)
    (service / "app.py").write_text("x = 1\n")
    (service / "migrations" / "m1.py").write_text("x = 1\n")
    (tmp_path / "tools.py").write_text("x = 1\n")
    found = discover([tmp_path], ["migrations/"], service)
    assert sorted(t.path.relative_to(tmp_path).as_posix() for t in found.targets) == [
        "services/api/app.py",
        "tools.py",
    ]


def test_exclude_applies_to_a_folder_named_through_dotdot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = tmp_path / "svc"
    (service / "gen").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    (service / "pyproject.toml").write_text('[tool.otel-lint]\nexclude = ["gen/"]\n')
    (service / "ok.py").write_text("x = 1\n")
    (service / "gen" / "made.py").write_text("x = 1\n")
    monkeypatch.chdir(tmp_path / "other")
    found = discover([Path("../svc")], ["gen/"], service)
    assert [t.label for t in found.targets] == ["../svc/ok.py"]
