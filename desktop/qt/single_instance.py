"""One window per data folder: a second launch brings the first window to the front and exits.

The window that owns a data folder holds an exclusive `flock` on `<data_dir>/.window.lock` for as long as it runs
(the kernel drops it when the process dies, however it dies) and listens on a local socket named after the folder.
A later launch that cannot take the lock connects to that socket, asks the window to come forward, and exits 0.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from pathlib import Path
from typing import IO

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from desktop.places import WINDOW_LOCK

log = logging.getLogger(__name__)

RAISE = b"raise\n"
ANSWER = b"raised\n"
# How long a second launch keeps trying to reach a first window that holds the lock but is still starting.
CONNECT_PATIENCE_S = 10.0
IO_TIMEOUT_MS = 2000


def socket_name(data_dir: Path) -> str:
    """Per user and per data folder; short enough for a Unix socket path."""
    key = hashlib.sha256(f"{os.getuid()}:{data_dir.expanduser().resolve()}".encode()).hexdigest()[:16]
    return f"storyforge-{key}"


class WindowClaim(QObject):
    """This process's claim to be the data folder's one window."""

    raise_requested = Signal()

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._data_dir = data_dir
        self.name = socket_name(data_dir)
        self._lock: IO[str] | None = None
        self._server: QLocalServer | None = None

    def claim(self) -> bool:
        """Take the folder for this window (True), or find that another window has it (False)."""
        try:
            self._data_dir.mkdir(parents=True, exist_ok=True)
            handle = (self._data_dir / WINDOW_LOCK).open("a")
        except OSError as exc:  # the data folder is unusable: start-up says so, in plain words, a moment later
            log.warning("cannot claim the data folder for this window: %s", exc)
            return True
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._lock = handle
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        QLocalServer.removeServer(self.name)  # a socket file left by a window that was killed
        if not server.listen(self.name):
            log.warning("a second launch cannot reach this window: %s", server.errorString())
        server.newConnection.connect(self._answer)
        self._server = server
        return True

    def ask_owner_to_raise(self) -> bool:
        """From a second launch: ask the window that holds the folder to come to the front. Blocking, briefly:
        nothing else runs yet."""
        deadline = time.monotonic() + CONNECT_PATIENCE_S
        while True:
            socket = QLocalSocket()
            socket.connectToServer(self.name)
            if socket.waitForConnected(IO_TIMEOUT_MS):
                socket.write(RAISE)
                socket.waitForBytesWritten(IO_TIMEOUT_MS)
                answered = socket.waitForReadyRead(IO_TIMEOUT_MS) and socket.readAll().data() == ANSWER
                socket.disconnectFromServer()
                return answered
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)  # the first window holds the lock but is not listening yet

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.close()

    def _answer(self) -> None:
        assert self._server is not None
        while (connection := self._server.nextPendingConnection()) is not None:
            connection.readyRead.connect(lambda c=connection: self._read(c))
            connection.disconnected.connect(connection.deleteLater)
            if connection.bytesAvailable():
                self._read(connection)

    def _read(self, connection: QLocalSocket) -> None:
        if connection.canReadLine() and connection.readLine().data() == RAISE:
            log.info("a second launch asked for this window: brought it to the front")
            connection.write(ANSWER)
            connection.flush()
            self.raise_requested.emit()
