"""Real services that fail on demand, for the failure tests: a private Redis server (to
freeze with SIGSTOP or kill) and a tiny SMTP server (to refuse, stall or accept).

Both listen on 127.0.0.1 only, on free ports, and are stopped by their fixtures. The
shared Redis on 6379 is never touched.
"""

from __future__ import annotations

import contextlib
import email
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float = 20.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


class PrivateRedis:
    """``redis-server --port <free>`` of our own: freeze() is SIGSTOP, kill() is SIGKILL."""

    def __init__(self, workdir: Path):
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.frozen = False
        if not wait_for(self._answers, timeout=10):
            self.kill()
            raise RuntimeError("the private redis-server did not start")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def freeze(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)
        self.frozen = False

    def kill(self) -> None:
        if self.proc.poll() is None:
            if self.frozen:
                self.thaw()
            self.proc.kill()
            self.proc.wait(timeout=10)


@dataclass
class ReceivedMail:
    to: list[str]
    subject: str
    message_id: str
    body: str


@dataclass
class SMTPServer:
    """Speaks just enough SMTP for Django's backend. ``mode`` decides each new connection:

    - ``accept``: a normal server; a message counts as received when it has answered 250
      to the end of DATA.
    - ``refuse``: answers 421 (service not available) and hangs up.
    - ``stall``: accepts the connection and never says a word.
    - ``stall_data``: takes the whole message, then never answers the end of DATA
      (nothing is received); ``stalled`` is set while it hangs there.
    """

    mode: str = "accept"
    received: list[ReceivedMail] = field(default_factory=list)
    connections: int = 0
    stalled: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        threading.Thread(target=self._serve, name="test-smtp", daemon=True).start()

    def count(self) -> int:
        with self._lock:
            return len(self.received)

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        for conn in list(self._open):
            with contextlib.suppress(OSError):
                conn.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            self._open.append(conn)
            threading.Thread(target=self._handle, args=(conn, self.mode), daemon=True).start()

    def _hang(self, conn: socket.socket) -> None:
        """Say nothing until the client gives up (its timeout, or its process is killed)."""
        self.stalled.set()
        conn.settimeout(0.2)
        while not self._stop.is_set():
            try:
                if conn.recv(4096) == b"":
                    return
            except TimeoutError:
                continue
            except OSError:
                return

    def _handle(self, conn: socket.socket, mode: str) -> None:
        with contextlib.suppress(OSError), conn:
            if mode == "refuse":
                conn.sendall(b"421 test server: service not available\r\n")
                return
            if mode == "stall":
                self._hang(conn)
                return
            reader = conn.makefile("rb")
            conn.sendall(b"220 test.smtp ESMTP\r\n")
            recipients: list[str] = []
            while True:
                line = reader.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb == b"EHLO":
                    conn.sendall(b"250-test.smtp\r\n250 8BITMIME\r\n")
                elif verb == b"MAIL":
                    recipients = []
                    conn.sendall(b"250 OK\r\n")
                elif verb == b"RCPT":
                    recipients.append(line.split(b":", 1)[1].strip(b" <>\r\n").decode())
                    conn.sendall(b"250 OK\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    data = []
                    while (chunk := reader.readline()) not in (b".\r\n", b""):
                        data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                    if mode == "stall_data":
                        self._hang(conn)
                        return
                    parsed = email.message_from_bytes(b"".join(data))
                    payload = parsed.get_payload(decode=True) if not parsed.is_multipart() else \
                        parsed.get_payload(0).get_payload(decode=True)
                    with self._lock:
                        self.received.append(ReceivedMail(
                            to=recipients, subject=str(parsed["Subject"]), message_id=str(parsed["Message-ID"]),
                            body=(payload or b"").decode("utf-8", "replace")))
                    conn.sendall(b"250 OK queued\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:  # HELO, RSET, NOOP
                    conn.sendall(b"250 OK\r\n")


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (a prefork worker's pool processes)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...; comm may hold spaces, so split after the last ')'.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return children
