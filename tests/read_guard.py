"""The test suite stands alone: no test may read a file outside the repository.

A clone of Milepost on its own (no a folder beside it beside it, no developer's home directory) must
pass its tests, so every file a test opens must come from the repository, the Python
installation running it, a temporary directory or the operating system. Whatever lies beside
the repository (its parent folder's other entries, such as a folder beside it) is refused even when
that parent is itself in a temporary directory, as in a clone made under /tmp; pytest's own
temporary folders stay allowed. An audit hook (`sys.addaudithook`, events `open`,
`os.listdir`, `os.scandir`) notes every other path; the report of the phase (collection, setup,
call or teardown) during which it was opened is turned into a failure naming each path, so the
test that did it is the one that fails.

`tests/conftest.py` imports the two hooks below; `tests/integration/test_standalone.py` proves,
in a separate pytest process, that a read of a folder beside it is caught.
"""

from __future__ import annotations

import getpass
import os
import site
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
WATCHED = frozenset({"open", "os.listdir", "os.scandir"})
SYSTEM_DIRS = ("/proc", "/sys", "/dev", "/etc", "/usr", "/lib", "/lib32", "/lib64", "/bin",
               "/sbin", "/run")


def _expand(places: set[str]) -> tuple[str, ...]:
    expanded = set()
    for place in places:
        expanded |= {os.path.abspath(place), os.path.realpath(place)}
    return tuple(sorted(p.rstrip("/") for p in expanded if p and p != "/"))


def _pytest_temp() -> str:
    """Where pytest keeps tmp_path folders by default (`<tmp>/pytest-of-<user>`)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return os.path.join(tempfile.gettempdir(), f"pytest-of-{user}")


def _own_roots() -> tuple[str, ...]:
    """Always allowed: the repository, the Python running the tests and its packages (a
    virtualenv beside the repository included), pytest's temporary folders."""
    places: set[str] = {str(ROOT), _pytest_temp()}
    places |= {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    places |= set(site.getsitepackages()) | {site.getusersitepackages()}
    places |= {value for value in sysconfig.get_paths().values() if value}
    return _expand(places)


def _shared_roots() -> tuple[str, ...]:
    """Allowed unless beside the repository: the temporary directory and the OS."""
    return _expand({tempfile.gettempdir(), *SYSTEM_DIRS})


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root + os.sep) for root in roots)


class OutsideReads:
    """Paths opened outside the allowed roots since the last `take()`, in order."""

    def __init__(self, own: tuple[str, ...], shared: tuple[str, ...], beside: str) -> None:
        self.own, self.shared = own, shared
        self.beside = _expand({beside})  # the repository's parent: its siblings are refused
        self._found: list[str] = []
        self._lock = threading.Lock()

    def allowed(self, path: str) -> bool:
        if _under(path, self.own):
            return True
        return not _under(path, self.beside) and _under(path, self.shared)

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        if event not in WATCHED or not args:
            return
        path = args[0]
        if isinstance(path, int) or path is None:
            return  # a file descriptor: already opened (and checked) by path
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        path = os.path.abspath(os.fspath(path))
        if not self.allowed(path):
            with self._lock:
                self._found.append(path)

    def take(self) -> list[str]:
        with self._lock:
            found, self._found = self._found, []
        return list(dict.fromkeys(found))


GUARD = OutsideReads(_own_roots(), _shared_roots(), str(ROOT.parent))
sys.addaudithook(GUARD.hook)


def _message(where: str, paths: list[str]) -> str:
    listed = "\n".join(f"  {path}" for path in paths)
    return (f"{where} read outside the repository ({ROOT}); a fresh clone does not have "
            f"these, so copy what is needed into the repository:\n{listed}")


def _fail(report: Any, where: str, paths: list[str]) -> None:
    message = _message(where, paths)
    if report.failed and report.longrepr is not None:
        message = f"{report.longrepr}\n\n{message}"
    report.outcome = "failed"
    report.longrepr = message


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: Any) -> Iterator[None]:
    """A module that reads outside the repository when it is imported fails to collect."""
    outcome = yield
    report = outcome.get_result()
    paths = GUARD.take()
    if paths:
        _fail(report, f"collecting {collector.nodeid or 'the session'}", paths)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    """The phase of a test (with the fixtures it set up) that read outside fails."""
    outcome = yield
    report = outcome.get_result()
    paths = GUARD.take()
    if paths:
        _fail(report, f"{item.nodeid} ({call.when})", paths)
