"""Runs that must end: pipes where files are expected, signals to a real ``otel-lint``, paths the
system refuses. Each runs a real process with a time limit, so a hang fails instead of waiting."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from otel_lint.cli import main

OTEL_LINT = shutil.which("otel-lint") or str(Path(sys.executable).with_name("otel-lint"))
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
SOURCE = (
    "from opentelemetry import trace\n"
    "span = trace.get_current_span()\n"
    'span.set_attribute("userId", 1)\n'
)


@pytest.mark.parametrize(
    "name",
    [
        ".env",
        ".gitignore",
        "requirements.txt",
        "Dockerfile",
        "Procfile",
        "pyproject.toml",
        "docker-compose.yml",
        "start.sh",
    ],
)
def test_a_pipe_among_the_projects_files_is_not_read(tmp_path: Path, name: str) -> None:
    (tmp_path / "app.py").write_text(SOURCE)
    os.mkfifo(tmp_path / name)
    # --fix reads the facts of every deployment file; nobody ever writes to the pipe.
    done = subprocess.run(
        [OTEL_LINT, "check", "--no-cache", "--fix", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "app.py:3:" in done.stdout


def test_a_pipe_named_as_the_configuration_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SOURCE)
    os.mkfifo(tmp_path / "otel-lint.toml")
    done = subprocess.run(
        [OTEL_LINT, "check", "--config", "otel-lint.toml", "app.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "otel-lint.toml: cannot read: not a regular file" in done.stderr


def test_a_name_too_long_for_the_system_is_an_otl000_for_that_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(SOURCE)
    long_name = "x" * 300 + ".py"
    for paths in ([long_name], [long_name, "app.py"]):
        assert main(["check", "--no-cache", *paths]) == 1
        out, err = capsys.readouterr()
        assert f"{long_name}:1:1: OTL000 error: file could not be checked: File name too" in out
        assert "internal error" not in err
    assert "app.py:3:" in out


@pytest.mark.skipif(AS_ROOT, reason="root searches every folder whatever its mode")
def test_a_file_in_an_unsearchable_folder_is_an_otl000_for_that_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "locked" / "in").mkdir(parents=True)
    (tmp_path / "locked" / "in" / "a.py").write_text(SOURCE)
    (tmp_path / "locked").chmod(0)
    try:
        assert main(["check", "--no-cache", "locked/in/a.py"]) == 1
    finally:
        (tmp_path / "locked").chmod(0o755)
    out, err = capsys.readouterr()
    assert "locked/in/a.py:1:1: OTL000" in out and "internal error" not in err


def _children(pid: int) -> set[int]:
    try:
        listing = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(child) for child in listing.split()}


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def _ignores_ctrl_c(pid: int) -> bool:
    """Whether the process has SIGINT ignored (its ``SigIgn`` mask in /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    return False


def _default_ctrl_c() -> None:
    # As a terminal's shell starts a command: a test runner's worker may ignore SIGINT, and a
    # child would inherit that and never see the Ctrl-C this test sends.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _busy_run(tmp_path: Path) -> tuple[subprocess.Popen[str], set[int]]:
    """A real run over enough work that it is still checking when the signal comes, and the
    pids of its two workers, once both have started (they ignore Ctrl-C: the parent stops them)."""
    # About 0.3 s of checking per file: 80 files keep two workers busy for over ten seconds.
    body = SOURCE + "".join(f'span.set_attribute("userId{n}", {n})\n' for n in range(1500))
    for number in range(80):
        (tmp_path / f"m{number}.py").write_text(body)
    run = subprocess.Popen(
        [OTEL_LINT, "check", "--no-cache", "--jobs", "2", "."],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_default_ctrl_c,
    )
    deadline = time.monotonic() + 30
    workers: set[int] = set()
    while time.monotonic() < deadline:
        workers = _children(run.pid)
        if len(workers) >= 2 and all(_ignores_ctrl_c(pid) for pid in workers):
            break
        time.sleep(0.05)
    assert len(workers) >= 2, "the run never started its workers"
    time.sleep(0.3)  # the workers are now checking files
    return run, workers


def _gone(pids: set[int], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_a_signal_to_the_run_ends_its_workers_too(tmp_path: Path, signum: int) -> None:
    run, workers = _busy_run(tmp_path)
    try:
        os.kill(run.pid, signum)
        _, err = run.communicate(timeout=30)  # the output pipe closes: no worker holds it
        assert _gone(workers, within=5)
        assert "Traceback" not in err
        if signum != signal.SIGKILL:
            assert run.returncode == 128 + signum
    finally:
        with_leftovers = [pid for pid in workers | {run.pid} if _alive(pid)]
        for pid in with_leftovers:
            os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
def test_ctrl_c_to_the_group_prints_no_worker_traceback(tmp_path: Path) -> None:
    run, workers = _busy_run(tmp_path)
    try:
        os.killpg(run.pid, signal.SIGINT)  # as a terminal sends it: to every process of the group
        _, err = run.communicate(timeout=30)
        assert run.returncode == 130
        assert "Traceback" not in err and "KeyboardInterrupt" not in err
        assert err.strip() == "otel-lint: interrupted"
        assert _gone(workers, within=5)
    finally:
        for pid in [pid for pid in workers | {run.pid} if _alive(pid)]:
            os.kill(pid, signal.SIGKILL)
