"""Checking many files: one job per file, in worker processes when that pays, cached by content.

The rules, the registry and the checks are loaded once per process, before any worker is forked.
Output order never depends on scheduling.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import InvalidStateError, ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import cache

from otel_lint.cache import results as result_cache
from otel_lint.cache.rules import engine_rules
from otel_lint.catalogue.compiled import CheckedRule
from otel_lint.checks import CheckSettings, all_checks
from otel_lint.conventions.registry import load_registry
from otel_lint.engine.analysis import analyze_text, apply_suppressions
from otel_lint.engine.limits import Deadline, OutOfTime, allowance, time_limit
from otel_lint.engine.modules import ProjectModules
from otel_lint.engine.results import (
    FileResult,
    content_digest,
    unreadable,
)
from otel_lint.project.discovery import LINTED_DEPLOYMENT, Target
from otel_lint.project.source import UnreadableSource, decode_source
from otel_lint.regular_files import read_regular_file


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to check one file (picklable)."""

    target: Target
    codes: tuple[str, ...]
    settings: CheckSettings
    use_cache: bool = True
    #: Seconds per started MiB of source the file may take (None: no limit).
    time_limit: float | None = None


@cache
def _rules_by_code() -> dict[str, CheckedRule]:
    return {rule.code: rule for rule in engine_rules()}


def _load_once() -> None:
    """The rules, the registry and the checks, loaded into this process if not yet."""
    _rules_by_code()
    load_registry()
    all_checks()


def check_file(job: Job) -> FileResult:
    """Read, decode, lint and apply suppressions to one file; never raises for a bad file."""
    label = job.target.label
    entry = None
    # Loaded once per process, before the clock starts: the limit is for the file's own work.
    _load_once()
    try:
        with time_limit(_allowed(job)) as deadline:
            try:
                data = job.target.data
                if data is None:
                    data = read_regular_file(job.target.path)
            except OSError as error:
                reason = error.strerror or str(error)
                return FileResult(label, findings=(unreadable(label, reason),))
            if job.use_cache:
                entry = result_cache.entry_path(job.target.label, job.codes, job.settings, data)
                cached = result_cache.load(entry)
                if cached is not None:
                    return replace(cached, source_digest=content_digest(data))
            result = replace(_check_bytes(job, data, deadline), source_digest=content_digest(data))
    except OutOfTime as late:
        # Not cached: the next run, on a less busy machine or with a larger limit, may finish.
        reason = (
            f"checking it took longer than {late.seconds:g} s, its time limit "
            f"(`file-time-limit`: {job.time_limit:g} s per started MiB of source)"
        )
        return FileResult(label, findings=(unreadable(label, reason),))
    if entry is not None:
        result_cache.store(entry, result)
    return result


def _allowed(job: Job) -> float | None:
    if job.time_limit is None:
        return None
    try:
        size = (
            len(job.target.data) if job.target.data is not None else job.target.path.stat().st_size
        )
    except OSError:
        size = 0  # reading it will say what is wrong
    return allowance(job.time_limit, size)


def _check_bytes(job: Job, data: bytes, deadline: Deadline | None = None) -> FileResult:
    label = job.target.label
    # A deployment file (or a YAML file that may be a manifest): its settings, never Python.
    # Text that is not UTF-8 is read with replacements: the settings are ASCII where they matter.
    if LINTED_DEPLOYMENT.search(os.path.basename(label)) and not label.endswith(".py"):
        # Here, not at the top: only a run that meets a deployment file pays for the SDK's
        # metadata reader (importlib.metadata) these rules use.
        from otel_lint.engine.deployment_files import analyze_deployment, deployment_kind

        text = data.decode("utf-8", errors="replace")
        kind = deployment_kind(label, text)
        if kind is None:
            return FileResult(label)
        rules_by_code = _rules_by_code()
        rules = [rules_by_code[code] for code in job.codes if code in rules_by_code]
        return analyze_deployment(label, text, kind, rules, load_registry(), job.settings)
    try:
        text = decode_source(data).text
    except UnreadableSource as error:
        return FileResult(label, findings=(unreadable(label, str(error)),))
    rules_by_code = _rules_by_code()
    rules = [rules_by_code[code] for code in job.codes if code in rules_by_code]
    modules = ProjectModules(job.target.path)
    try:
        result = analyze_text(
            label, text, rules, load_registry(), job.settings, deadline=deadline, modules=modules
        )
    except RecursionError:
        return FileResult(label, findings=(unreadable(label, "nested too deeply to analyse"),))
    except BaseException as error:  # ast-grep-py raises Rust panics as BaseException subclasses
        if isinstance(error, (KeyboardInterrupt, SystemExit, OutOfTime)):
            raise
        return FileResult(label, findings=(unreadable(label, f"the parser failed: {error}"),))
    return replace(apply_suppressions(result, text), depends=modules.used())


def _start_worker(parent: int) -> None:
    """Set up a worker process: it lives only as long as the run that started it.

    Ctrl-C reaches the whole process group: the parent alone handles it (and stops the workers),
    so no worker prints a traceback. SIGTERM and SIGHUP end a worker quietly, whatever handler it
    inherited. A parent killed outright (SIGKILL) cannot stop its workers, so each watches for it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    watch = threading.Thread(target=_exit_with, args=(parent,), name="exit-with-parent")
    watch.daemon = True
    watch.start()


def _exit_with(parent: int) -> None:
    # Orphaned workers would hold the output pipe open and keep a CI step waiting forever.
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


def _stop(pool: ProcessPoolExecutor) -> None:
    """End the workers now, mid-file: the run is being abandoned."""
    # On Python 3.11 the pool's manager thread may then fail a future it had already cancelled
    # (InvalidStateError) and print that thread's traceback under "interrupted": say nothing.
    previous = threading.excepthook

    def quiet(arguments: threading.ExceptHookArgs) -> None:
        if not isinstance(arguments.exc_value, InvalidStateError):
            previous(arguments)

    threading.excepthook = quiet
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        with contextlib.suppress(OSError, AttributeError, ValueError):
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def _worker_count(jobs: int | None, files: int) -> int:
    wanted = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
    # Starting processes costs more than a handful of files take.
    return 1 if files < 8 else min(wanted, files)


def check_files(
    targets: Sequence[Target],
    codes: Sequence[str],
    settings: CheckSettings,
    jobs: int | None = None,
    use_cache: bool = True,
    time_limit: float | None = None,
) -> list[FileResult]:
    """Check every target, in worker processes when that pays; results in target order."""
    work = [Job(target, tuple(codes), settings, use_cache, time_limit) for target in targets]
    workers = _worker_count(jobs, len(work))
    if workers == 1:
        return [check_file(job) for job in work]
    # Largest files first, in small chunks: the workers then finish together instead of one
    # waiting for the other's last chunk (sizes in a project differ by 1,000x).
    order = sorted(range(len(work)), key=lambda i: -_size(work[i].target))
    _load_once()  # before the workers start: where they are forked, they inherit it
    chunk = max(1, len(work) // (workers * 32))
    pool = ProcessPoolExecutor(
        max_workers=workers, initializer=_start_worker, initargs=(os.getpid(),)
    )
    try:
        done = list(pool.map(check_file, [work[i] for i in order], chunksize=chunk))
    except BaseException:  # Ctrl-C, SIGTERM (raised by the CLI's handler), a broken pool
        _stop(pool)
        raise
    pool.shutdown()
    results: list[FileResult] = [done[0]] * len(work)
    for position, result in zip(order, done, strict=True):
        results[position] = result
    return results


def _size(target: Target) -> int:
    try:
        return target.path.stat().st_size
    except OSError:
        return 0
