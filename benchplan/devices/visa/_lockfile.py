"""Cross-process instrument locks: one ``fcntl.flock``-ed file per address.

VISA's own locks (``lock_excl``) are not supported on SOCKET resources, so
benchplan keeps its own. The holder writes who it is (pid, host, program,
role) into the file as JSON, so a second process gets a
:class:`~benchplan.errors.ResourceInUse` naming it. The kernel drops a
``flock`` when the holder's file descriptor closes, so the lock vanishes with
the process however it ends, SIGKILL included. The file itself stays (deleting
a lock file races with a process about to lock it); only the lock matters.

The directory is ``platformdirs.user_data_dir('benchplan')/locks``, or
``$BENCHPLAN_DATA_DIR/locks`` when that variable is set (tests use it).
"""

from __future__ import annotations

import dataclasses
import datetime
import errno
import fcntl
import hashlib
import json
import os
import re
import socket
import sys
import time
from pathlib import Path
from typing import Any, Callable

from pyvisa import rname

from benchplan._paths import data_dir
from benchplan.errors import ResourceInUse

__all__ = ["InstrumentLock", "LockHolder", "canonical_address", "lock_dir", "lock_path"]

def lock_dir() -> Path:
    """Return the directory holding the lock files (not created here): ``locks/`` in
    the data folder (``$BENCHPLAN_DATA_DIR`` or the user data folder)."""
    return data_dir() / "locks"


def canonical_address(address: str) -> str:
    """Return the canonical spelling of a VISA address (``TCPIP::h::p::SOCKET``
    becomes ``TCPIP0::h::p::SOCKET``); an unparsable address is returned stripped."""
    try:
        return rname.to_canonical_name(address.strip())
    except Exception:  # rname raises several types; the open will report it properly
        return address.strip()


def lock_path(address: str, directory: Path | None = None) -> Path:
    """Return the lock file for an address: a sanitised name plus a short hash,
    so two addresses never share a file."""
    canon = canonical_address(address)
    safe = re.sub(r"[^A-Za-z0-9.-]+", "_", canon).strip("_")[:80]
    digest = hashlib.sha1(canon.encode()).hexdigest()[:8]
    return (directory or lock_dir()) / f"{safe}-{digest}.lock"


def _program() -> str:
    argv = [a for a in sys.argv if a] or [sys.executable]
    text = " ".join([os.path.basename(argv[0]), *argv[1:]])
    return text if len(text) <= 200 else text[:197] + "..."


@dataclasses.dataclass(frozen=True)
class LockHolder:
    """Who holds an instrument lock, as written into the lock file."""

    pid: int
    host: str
    program: str
    role: str
    address: str
    since: str

    def describe(self) -> str:
        """One line naming the holder, for error messages."""
        return (
            f"pid {self.pid} on host {self.host!r}, program {self.program!r}, "
            f"role {self.role!r}, since {self.since}"
        )

    @classmethod
    def from_json(cls, text: str) -> LockHolder | None:
        try:
            data = json.loads(text)
            return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls)})
        except (ValueError, KeyError, TypeError):
            return None


def _alive_here(holder: LockHolder) -> bool:
    if holder.host != socket.gethostname():
        return True  # cannot tell; trust the file
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class InstrumentLock:
    """An exclusive, cross-process lock on one instrument address.

    Parameters
    ----------
    address : str
        The VISA resource address; the lock file is named after it.
    role : str
        What this process uses the instrument as, written into the lock file.
    directory : Path, optional
        Where the lock files live; defaults to :func:`lock_dir`.
    sleep : callable, optional
        Used between attempts while waiting (tests inject a fake).

    Examples
    --------
    >>> lock = InstrumentLock("TCPIP0::127.0.0.1::5025::SOCKET", role="supply")
    >>> lock.acquire(timeout=0)     # ResourceInUse if another process holds it
    >>> lock.release()
    """

    def __init__(
        self,
        address: str,
        *,
        role: str = "",
        directory: Path | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.address = canonical_address(address)
        self.path = lock_path(address, directory)
        self._role = role
        self._sleep = sleep
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def acquire(self, timeout: float = 0.0, *, poll_interval: float = 0.05) -> None:
        """Take the lock, waiting up to ``timeout`` seconds for another holder.

        Raises
        ------
        ResourceInUse
            Another process (or another lock object) still holds it.
        """
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
            if time.monotonic() >= deadline:
                os.close(fd)
                raise self._in_use(timeout)
            self._sleep(poll_interval)
        self._fd = fd
        self._write()

    def set_role(self, role: str) -> None:
        """Record a new role in the lock file (while held)."""
        self._role = role
        if self._fd is not None:
            self._write()

    def holder(self) -> LockHolder | None:
        """Read who the lock file says holds it (None if empty or unreadable)."""
        try:
            return LockHolder.from_json(self.path.read_text())
        except OSError:
            return None

    def release(self) -> None:
        """Give the lock up and empty the file; a no-op when not held."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def forget(self) -> None:
        """Drop the descriptor without unlocking (in a forked child: the lock
        belongs to the parent, and unlocking would release it for the parent too)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def _write(self) -> None:
        assert self._fd is not None
        holder = LockHolder(
            pid=os.getpid(),
            host=socket.gethostname(),
            program=_program(),
            role=self._role,
            address=self.address,
            since=datetime.datetime.now().isoformat(timespec="seconds"),
        )
        data = json.dumps(dataclasses.asdict(holder)).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def _in_use(self, timeout: float) -> ResourceInUse:
        holder = None
        for _ in range(10):  # the holder may be between flock and writing its name
            holder = self.holder()
            if holder is not None and _alive_here(holder):
                break
            holder = None
            time.sleep(0.02)
        who = holder.describe() if holder is not None else "a process that has not written its name"
        waited = f" (waited {timeout:g} s)" if timeout > 0 else ""
        if holder is not None and holder.pid == os.getpid() and holder.host == socket.gethostname():
            return ResourceInUse(
                f"Cannot open the instrument at {self.address}: this process already holds it "
                f"({who}) through another session pool{waited}. Share one pool -- "
                "benchplan.devices.visa.default_pool() -- or close the other driver first. "
                f"Lock file: {self.path}"
            )
        return ResourceInUse(
            f"Cannot open the instrument at {self.address}: another process holds it"
            f"{waited}: {who}. Wait for it to finish or stop it, or pass a lock timeout "
            f"to wait longer. Lock file: {self.path}"
        )

    def __enter__(self) -> InstrumentLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.release()
