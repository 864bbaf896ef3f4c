"""The processes a figure is taken from: the sandbox on its own, and what the kernel says of a pid.

Every figure that talks to the sandbox runs it as `milepost sandbox serve` in a process of its
own, so its CPU and memory are not charged to Milepost (and Milepost's to it): `SandboxProcess`
starts it on a free port and stands where a `SandboxServer` would (`url`, `control`, `info`);
the sandbox's books live in that process, so they are read through its control API (or a
`save` of its state), never from `state`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from connector.sandbox.client import SandboxServer
from connector.sandbox.state import SandboxState

ROOT = Path(__file__).resolve().parents[2]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class SandboxProcess(SandboxServer):
    """`milepost sandbox serve --auto-consent --port 0` in a child process, its URL read from
    the banner it prints."""

    def __init__(self) -> None:  # no in-process state: the books live in the child
        self._process: subprocess.Popen[bytes] | None = None
        self._url = ""
        self._log = Path(tempfile.mkstemp(prefix="milepost-sandbox-", suffix=".log")[1])

    @property
    def url(self) -> str:
        if not self._url:
            raise RuntimeError("the sandbox process is not running")
        return self._url

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def start(self, timeout: float = 60.0) -> SandboxProcess:
        env = {**os.environ, "OAUTHLIB_INSECURE_TRANSPORT": "1", "PYTHONUNBUFFERED": "1"}
        with self._log.open("wb") as out:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "connector.sandbox.cli", "serve", "--port", "0", "--auto-consent"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            first = self._log.read_text(errors="replace").partition("\n")[0]
            if first.startswith("Milepost sandbox at ") and "\n" in self._log.read_text(errors="replace"):
                self._url = first.removeprefix("Milepost sandbox at ").strip()
                return self
            if self._process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the sandbox process did not start: {self._log.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        self._process, self._url = None, ""
        self._log.unlink(missing_ok=True)

    def books(self) -> SandboxState:
        """A copy of the sandbox's books as they stand (saved by the sandbox, loaded here)."""
        with tempfile.TemporaryDirectory(prefix="milepost-books-") as scratch:
            path = Path(scratch) / "state.json"
            self.control.save(str(path))
            return SandboxState.load(path)

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far (from /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")


def load_average() -> list[float]:
    return [round(n, 2) for n in os.getloadavg()]
