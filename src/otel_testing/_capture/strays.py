"""Telemetry that a finished test left running, kept out of the tests that run after it.

A test can end with a span still open or a thread still alive. When that span ends, or that
thread emits, the telemetry reaches the session exporters during some later test, which would then
see spans and log records it never produced. This module remembers what each finished test left
behind and recognises what it emits later, so the views can leave it out and the receiving test
can be told which test it came from.

Metrics cannot be told apart this way (the SDK aggregates them before any hook sees a thread), so
what a stray thread records still counts in the test during which it is recorded.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable

from opentelemetry.sdk.trace import ReadableSpan

SpanKey = int


def span_key(span: ReadableSpan) -> SpanKey:
    """The identity of a span across the SDK's live span and the read-only copy it exports.

    Both hold the same ``SpanContext`` object, so its ``id()`` tells spans apart where their ids
    do not: a suite that seeds ``random`` per test gets the same trace and span ids in every test.
    Whoever keys a map by it keeps the span (or its context) alive while the entry lives, so the
    ``id()`` cannot be reused meanwhile.
    """
    context = span.get_span_context()
    return id(context) if context is not None else id(span)


class Strays:
    """What earlier tests left running, and what of it arrived during the current test."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: dict[int, str] = {}  # thread ident -> the test that left it running
        # Span -> the test that left it open, with the span's context kept alive (see span_key).
        self._open_spans: dict[SpanKey, tuple[object, str]] = {}
        self._spans: dict[SpanKey, str] = {}  # arrived during this test: span -> origin test
        self._logs: dict[int, str] = {}  # arrived during this test: id(API record) -> origin

    # --- test boundaries -------------------------------------------------------------------

    def start_test(self) -> None:
        with self._lock:
            self._spans.clear()
            self._logs.clear()
            if self._threads:
                # A dead thread's ident can be reused by a new one that belongs to no earlier test.
                alive = {thread.ident for thread in threading.enumerate()}
                self._threads = {i: test for i, test in self._threads.items() if i in alive}

    def end_test(
        self, test: str, threads_at_start: frozenset[int], open_spans: Iterable[ReadableSpan]
    ) -> None:
        """Remember the threads ``test`` started that are still alive, and its open spans."""
        started = {
            thread.ident
            for thread in threading.enumerate()
            if thread.ident is not None and thread.ident not in threads_at_start
        }
        with self._lock:
            self._threads.update(dict.fromkeys(started - {threading.get_ident()}, test))
            self._open_spans.update(
                (span_key(span), (span.get_span_context(), test)) for span in open_spans
            )
            self._spans.clear()
            self._logs.clear()

    # --- while a test runs -------------------------------------------------------------------

    def _origin_of_this_thread(self) -> str | None:
        # Read without the lock: a dict lookup is atomic, and the map is empty in a tidy suite.
        return self._threads.get(threading.get_ident()) if self._threads else None

    def span_started(self, key: SpanKey) -> None:
        origin = self._origin_of_this_thread()
        if origin is not None:
            with self._lock:
                self._spans[key] = origin

    def span_ended(self, key: SpanKey) -> None:
        if not self._open_spans:
            return
        with self._lock:
            left = self._open_spans.pop(key, None)
            if left is not None:
                self._spans[key] = left[1]

    def log_emitted(self, record: object) -> None:
        origin = self._origin_of_this_thread()
        if origin is not None:
            with self._lock:
                self._logs[id(record)] = origin

    # --- reading -----------------------------------------------------------------------------

    def is_stray_span(self, key: SpanKey) -> bool:
        return key in self._spans

    def is_stray_log(self, record: object) -> bool:
        return id(record) in self._logs

    def report(self) -> str | None:
        """What arrived from earlier tests during this one, said so that a person can fix it."""
        if not self._spans and not self._logs:
            return None
        with self._lock:
            spans = Counter(self._spans.values())
            logs = Counter(self._logs.values())
        origins = sorted(set(spans) | set(logs))
        if not origins:
            return None
        parts = [
            f"{spans[origin]} span(s) and {logs[origin]} log record(s) from {origin}"
            for origin in origins
        ]
        return (
            "otel-testing left out of this test's telemetry what earlier tests left running: "
            f"{'; '.join(parts)} (spans that test left open, or threads it started, ended or "
            "emitted only after it had ended). Join the threads a test starts and end its spans "
            "before it returns; metrics such threads record cannot be told apart and count in "
            "the test during which they are recorded."
        )
