"""Reading a file only when it is a regular file: a named pipe, a device or a socket can block a
read forever (password managers serve ``.env`` as a pipe) or never end (``/dev/zero``)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

#: The reason given for a path that is not a regular file.
NOT_REGULAR = "not a regular file"


def read_regular_file(path: str | Path) -> bytes:
    """The bytes of ``path``; OSError if it cannot be read or is not a regular file.

    Opened without blocking and checked on the open descriptor: a file swapped for a pipe between
    a check and the read is still refused, and opening a pipe that no one writes returns at once.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    descriptor = os.open(path, flags | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(errno.EINVAL, NOT_REGULAR, os.fspath(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            return stream.read()
    finally:
        os.close(descriptor)
