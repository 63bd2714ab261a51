"""A time limit on checking one file, so that no file, however pathological, stalls a run.

On POSIX, in a process's main thread (the command line's own, and every worker process's), a
``SIGALRM`` timer interrupts Python code wherever it is. A signal cannot interrupt a native
call (a tree-sitter parse, an ast-grep search): it takes effect when that call returns, so the
engine measures a tree's depth before searching it, which is what made such calls take minutes.
Elsewhere (Windows, another thread) the engine checks the deadline between candidates.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

#: A file gets the limit once for each started MiB of its source: big files are slow in
#: proportion to their size, and the limit is there to catch the ones slower than that.
_MIB = 1024 * 1024


class OutOfTime(BaseException):
    """The time for one file ran out.

    A BaseException, like KeyboardInterrupt: a check's ``except Exception`` must not catch it.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def allowance(limit: float, size: int) -> float:
    """The time a file of ``size`` bytes may take: ``limit`` per started MiB."""
    return limit * max(1, math.ceil(size / _MIB))


@dataclass(frozen=True)
class Deadline:
    seconds: float
    ends: float

    def check(self) -> None:
        """Raise OutOfTime if the deadline has passed."""
        if time.monotonic() > self.ends:
            raise OutOfTime(self.seconds)


def _can_interrupt() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[Deadline | None]:
    """Raise OutOfTime in the block once ``seconds`` have passed (None: no limit).

    Yields the deadline, for code that can check it between steps. A timer someone else had
    set (pytest-timeout's, say) is set again afterwards with what was left of it.
    """
    if seconds is None:
        yield None
        return
    started = time.monotonic()
    deadline = Deadline(seconds, started + seconds)
    if not _can_interrupt():
        yield deadline
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise OutOfTime(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    outer, interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield deadline
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            # None: a handler installed from C, which Python cannot put back; the default is
            # the best that can be done.
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
            if outer:
                left = outer - (time.monotonic() - started)
                signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), interval)
