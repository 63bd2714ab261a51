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
