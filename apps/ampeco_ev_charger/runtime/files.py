"""Files written so that a crash or a power cut leaves the old one or the new one, never half of one; and read
so that whatever is found in their place (a FIFO, a device, a huge file) never blocks or floods the app."""

import contextlib
import os
import stat
import tempfile
from pathlib import Path


class NotRegularFile(ValueError):
    """What is at the path is not a regular file of a sane size: never read, never written over."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path} is {why}")
        self.why = why


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Raises FileNotFoundError, OSError, or NotRegularFile
    for anything else: a FIFO is never waited on, a device or a huge file never read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise NotRegularFile(path, "not a regular file")
        if status.st_size > limit:
            raise NotRegularFile(path, f"larger than {limit // 1024} KB")
        with os.fdopen(os.dup(fd), "rb") as file:
            data = file.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew while it was read
        raise NotRegularFile(path, f"larger than {limit // 1024} KB")
    return data


def write_atomically(path: Path, data: bytes) -> None:
    """Temp file beside it (the owner's alone), synced, renamed over it, then the folder synced: the rename
    itself survives a power cut only once the folder is on disk. Raises OSError."""
    fd, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
