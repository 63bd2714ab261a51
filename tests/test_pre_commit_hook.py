"""The hook in .pre-commit-hooks.yaml, run by real pre-commit against this repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One environment for the module: pre-commit builds the hook's virtualenv once and reuses it.
    return tmp_path_factory.mktemp("pre-commit-home")


def _try_repo(
    workdir: Path, home: Path, hook: str = "otel-lint"
) -> subprocess.CompletedProcess[str]:
    pre_commit = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never"}
    # The hook finds its cache where a user's would be, in the user cache directory, which is
    # pointed into the test's folder: each run's new hook environment would otherwise leave a
    # registry entry in the real one.
    env.pop("OTEL_LINT_CACHE_DIR", None)
    env["XDG_CACHE_HOME"] = str(home / "user-cache")
    return subprocess.run(
        [pre_commit, "try-repo", str(REPOSITORY), hook, "--all-files"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def user_repository(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "dev@example.invalid")
    _git(tmp_path, "config", "user.name", "dev")
    return tmp_path


def test_hook_fails_on_a_bad_file_and_passes_on_a_clean_one(
    user_repository: Path, pre_commit_home: Path
) -> None:
    module = user_repository / "service.py"
    module.write_text('span.set_attribute("http.method", "GET")\n')
    _git(user_repository, "add", "service.py")
    failed = _try_repo(user_repository, pre_commit_home)
    assert failed.returncode != 0, failed.stdout + failed.stderr
    assert "OTL301" in failed.stdout

    module.write_text('span.set_attribute("http.request.method", "GET")\n')
    _git(user_repository, "add", "service.py")
    passed = _try_repo(user_repository, pre_commit_home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
    if sys.platform.startswith("linux"):  # where platformdirs reads XDG_CACHE_HOME
        assert list((pre_commit_home / "user-cache" / "otel-lint").glob("semconv-*.json"))


# --- the README's snippets, as a user copies them into a new repository -------------------------


def _readme_block(marker: str) -> str:
    """The fenced block after ``<!-- marker -->`` in the README."""
    text = (REPOSITORY / "README.md").read_text()
    after = text.split(f"<!-- {marker} -->\n", 1)[1]
    return after.split("```", 2)[1].split("\n", 1)[1]


def _head() -> str:
    """The commit a user would pin: this repository's HEAD (what CI checked out)."""
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPOSITORY, capture_output=True, text=True, check=True
    ).stdout.strip()


def _as_here(snippet: str, url: str | None = None) -> str:
    """The README's text with its placeholders filled as a user fills them: this repository
    (its folder stands for its URL, which the test cannot reach) at its HEAD commit."""
    here = url or REPOSITORY.as_uri()
    return snippet.replace("https://github.com/otel-lint/otel-lint", here).replace(
        "COMMIT", _head()
    )


def _pre_commit(workdir: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    pre_commit = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never"}
    env.pop("OTEL_LINT_CACHE_DIR", None)
    env["XDG_CACHE_HOME"] = str(home / "user-cache")
    return subprocess.run(
        [pre_commit, *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=900
    )


FIXABLE = 'span.set_attribute("http.method", "GET")\n'
FIXED = 'span.set_attribute("http.request.method", "GET")\n'


@pytest.mark.slow
@pytest.mark.parametrize("hook", ["otel-lint", "otel-lint-fix"])
def test_the_readme_snippet_works_as_written_in_a_new_repository(
    user_repository: Path, pre_commit_home: Path, hook: str
) -> None:
    snippet = _readme_block("pre-commit:snippet")
    assert "rev: v0.1.0" not in snippet  # a tag that does not exist
    config = _as_here(snippet).replace("- id: otel-lint\n", f"- id: {hook}\n")
    (user_repository / ".pre-commit-config.yaml").write_text(config)
    module = user_repository / "service.py"
    module.write_text(FIXABLE)
    _git(user_repository, "add", ".")
    first = _pre_commit(user_repository, pre_commit_home, "run", "--all-files")
    assert first.returncode != 0, first.stdout + first.stderr
    if hook == "otel-lint":
        assert "OTL301" in first.stdout
        assert module.read_text() == FIXABLE
        module.write_text(FIXED)
    else:
        assert "files were modified by this hook" in first.stdout
        assert "Fixed service.py: 1 fix applied" in first.stdout
        assert module.read_text() == FIXED
    _git(user_repository, "add", ".")
    second = _pre_commit(user_repository, pre_commit_home, "run", "--all-files")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Passed" in second.stdout


@pytest.mark.slow
def test_the_readme_ci_install_line_installs_a_working_linter(tmp_path: Path) -> None:
    (line,) = [
        command
        for command in _readme_block("gate:install").splitlines()
        if command.startswith("- run: pip install")
    ]
    # pip's requirement parser wants a host in a file URL.
    requirement = _as_here(line, f"file://localhost{REPOSITORY.as_posix()}").split('"')[1]
    assert "@ git+" in requirement
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True)
    python = tmp_path / "venv" / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", requirement],
        check=True,
        capture_output=True,
        timeout=900,
    )
    (tmp_path / "service.py").write_text(FIXABLE)
    env = {**os.environ, "OTEL_LINT_CACHE_DIR": str(tmp_path / "cache")}
    checked = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "otel-lint"), "check", "service.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert checked.returncode == 1, checked.stderr
    assert "OTL301" in checked.stdout


def test_deployment_hook_lints_the_settings_of_staged_deployment_files(
    user_repository: Path, pre_commit_home: Path
) -> None:
    settings = user_repository / ".env"
    settings.write_text("OTEL_RESOURCE_ATTRIBUTES=deployment.environment=prod\n")
    (user_repository / "notes.txt").write_text("not a deployment file\n")
    _git(user_repository, "add", ".env", "notes.txt")
    failed = _try_repo(user_repository, pre_commit_home, "otel-lint-deployment")
    assert failed.returncode != 0, failed.stdout + failed.stderr
    assert ".env:1:26: OTL310" in failed.stdout and "notes.txt" not in failed.stdout

    settings.write_text("OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name=prod\n")
    _git(user_repository, "add", ".env")
    passed = _try_repo(user_repository, pre_commit_home, "otel-lint-deployment")
    assert passed.returncode == 0, passed.stdout + passed.stderr
