"""Issue 10, finding 14: a clone of the repository on its own passes its tests.

The tests used to read Xero's OpenAPI document and Intuit's XSDs from the reference folder beside the repository, so a
clone without that folder beside it errored in hundreds of tests. The documents now ship in the
sandbox package (`connector/sandbox/*/specs/`, with their licences), and `tests/read_guard.py`
fails any test that opens a path outside the repository. These tests prove both: the specs the
suite reads are inside the repository, and the guard really catches a read of a folder beside the repository
(run in a separate pytest process, so its failure is that process's, not this one's).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.read_guard import ROOT
from tests.xero_openapi import SPEC

# Where the sandbox and the QuickBooks schema checks read Intuit's XSDs.
SPEC_DIR = ROOT / "connector" / "sandbox" / "quickbooks" / "specs"
FILES = ("IntuitBaseTypes.xsd", "IntuitNamesTypes.xsd", "Finance.xsd", "SalesTax.xsd",
         "IntuitRestServiceDef.xsd", "Report.xsd")


def test_the_specs_the_tests_read_are_in_the_repository_with_their_licences() -> None:
    for spec_file in [SPEC, *(SPEC_DIR / name for name in FILES)]:
        assert spec_file.resolve().is_relative_to(ROOT), spec_file
        assert spec_file.is_file(), spec_file
    for folder in (SPEC.parent, SPEC_DIR):
        assert (folder / "LICENSE").is_file(), folder
        provenance = (folder / "README.md").read_text().lower()
        assert "copied unchanged from the public repository" in provenance, folder
    assert "MIT License" in (SPEC.parent / "LICENSE").read_text()
    assert "Apache License" in (SPEC_DIR / "LICENSE").read_text()


GUARDED_CONFTEST = """
from tests.read_guard import pytest_make_collect_report, pytest_runtest_makereport
"""

GUARDED_TESTS = """
import os
from pathlib import Path

ROOT = Path({root!r})
OUTSIDE = ROOT.parent / "a-folder-beside-the-repository"


def test_reads_beside_the_repository():
    try:
        (OUTSIDE / "README.md").read_text()
    except OSError:
        pass  # it need not exist: the attempt alone is the fault


def test_lists_beside_the_repository():
    try:
        os.listdir(OUTSIDE)
    except OSError:
        pass


def test_reads_inside_the_repository(tmp_path):
    (tmp_path / "scratch.txt").write_text("temporary files are fine")
    assert (ROOT / "pyproject.toml").read_text()
"""

READS_ON_IMPORT = """
from pathlib import Path

try:
    Path({outside!r}).read_text()
except OSError:
    pass


def test_nothing():
    pass
"""


def _run_guarded_suite(folder: Path) -> subprocess.CompletedProcess[str]:
    (folder / "conftest.py").write_text(GUARDED_CONFTEST)
    (folder / "test_guarded.py").write_text(textwrap.dedent(GUARDED_TESTS.format(root=str(ROOT))))
    outside_readme = str(ROOT.parent / "a-folder-beside-the-repository" / "README.md")
    (folder / "test_import_reads.py").write_text(READS_ON_IMPORT.format(outside=outside_readme))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "-o", "addopts=", "--continue-on-collection-errors",
         str(folder)], cwd=folder, env=env, capture_output=True, text=True, timeout=120)


def test_a_test_that_reads_beside_the_repository_fails_naming_the_path(tmp_path: Path) -> None:
    run = _run_guarded_suite(tmp_path)
    output = run.stdout + run.stderr
    outside = str(ROOT.parent / "a-folder-beside-the-repository")

    assert run.returncode == 1, output
    assert "FAILED test_guarded.py::test_reads_beside_the_repository" in output, output
    assert "FAILED test_guarded.py::test_lists_beside_the_repository" in output, output
    assert "PASSED test_guarded.py::test_reads_inside_the_repository" in output, output
    assert "ERROR test_import_reads.py" in output, output
    assert f"{outside}/README.md" in output, output
    assert "read outside the repository" in output, output
