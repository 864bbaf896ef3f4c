"""`milepost schedule validate|import|new`: every problem shown, nothing half-imported."""

from __future__ import annotations

import json

import pytest

from connector.store import repository

from .schedules import BROKEN, GOOD


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_validate_prints_every_problem_with_its_field_and_exits_1(milepost, tmp_path):
    result = milepost("schedule", "validate", write(tmp_path, "broken.toml", BROKEN))
    assert result.code == 1
    fields = [line.split(":")[0] for line in result.lines]
    assert "project.currency" in fields
    assert "milestones[1].percent" in fields
    assert "milestones[2].approver.email" in fields


def test_validate_imports_nothing(milepost, tmp_path):
    milepost("schedule", "validate", write(tmp_path, "good.toml", GOOD))
    result = milepost("report", "ACME-WEB", "--format", "json")
    assert result.code == 1
    assert "ACME-WEB" in result.err


def test_a_valid_file_exits_0_and_says_so(milepost, tmp_path):
    result = milepost("schedule", "validate", write(tmp_path, "good.toml", GOOD))
    assert result.code == 0
    assert "valid" in result.out


def test_too_few_milestones_is_a_warning_not_an_error(milepost, tmp_path):
    two = GOOD.split("[[milestones]]\nseq = 3")[0].replace('percent = "30"', 'percent = "80"')
    result = milepost("schedule", "validate", write(tmp_path, "two.toml", two))
    assert result.code == 0
    assert any("warning" in line for line in result.lines)


def test_a_broken_file_is_not_imported(milepost, tmp_path):
    result = milepost("schedule", "import", write(tmp_path, "broken.toml", BROKEN))
    assert result.code == 1
    assert milepost("report", "ACME-WEB", "--format", "json").code == 1


def test_import_then_report_shows_the_exact_allocation(milepost, tmp_path):
    assert milepost("schedule", "import", write(tmp_path, "good.toml", GOOD)).code == 0
    report = json.loads(milepost("report", "ACME-WEB", "--format", "json").out)
    assert [m["amount"] for m in report["milestones"]] == ["246.91", "370.37", "617.29"]
    assert report["remaining"] == "1234.57"


def test_json_schedules_import_like_toml(milepost, tmp_path):
    import tomllib

    raw = tomllib.loads(GOOD)
    assert milepost("schedule", "import", write(tmp_path, "good.json", json.dumps(raw))).code == 0
    assert milepost("report", "ACME-WEB", "--format", "json").code == 0


def test_importing_the_same_key_twice_fails_with_one_line(milepost, tmp_path):
    path = write(tmp_path, "good.toml", GOOD)
    assert milepost("schedule", "import", path).code == 0
    again = milepost("schedule", "import", path)
    assert again.code == 1
    assert len(again.err.strip().splitlines()) == 1
    assert "ACME-WEB" in again.err


def test_an_import_that_fails_midway_leaves_nothing_behind(milepost, tmp_path, monkeypatch):
    calls = {"n": 0}
    real = repository.BillingRepository.insert_milestone

    def fail_on_third(self, project, milestone, change_order_id):
        calls["n"] += 1
        if calls["n"] == 3:
            raise ValueError("disk full (simulated)")
        return real(self, project, milestone, change_order_id)

    monkeypatch.setattr(repository.BillingRepository, "insert_milestone", fail_on_third)
    result = milepost("schedule", "import", write(tmp_path, "good.toml", GOOD))
    assert result.code == 1
    assert "disk full" in result.err
    monkeypatch.undo()
    assert milepost("report", "ACME-WEB", "--format", "json").code == 1
    assert milepost("schedule", "import", write(tmp_path, "good.toml", GOOD)).code == 0


@pytest.mark.parametrize("template", ["three-phase", "five-phase", "inspection"])
def test_new_writes_a_file_that_validates(milepost, tmp_path, template):
    out = str(tmp_path / f"{template}.toml")
    total, currency = ("1234567", "JPY") if template == "inspection" else ("1234.57", "USD")
    made = milepost("schedule", "new", "--template", template, "--total", total,
                    "--currency", currency, "--key", "T-1", "--output", out)
    assert made.code == 0, made.err
    assert milepost("schedule", "validate", out).code == 0
    assert milepost("schedule", "new", "--template", template, "--total", "1", "--currency", "USD",
                    "--output", out).code == 1  # never overwrites without --force


def test_new_refuses_a_total_too_precise_for_the_currency(milepost, tmp_path):
    result = milepost("schedule", "new", "--template", "three-phase", "--total", "1234.57",
                      "--currency", "JPY", "--output", str(tmp_path / "x.toml"))
    assert result.code == 1
    assert "project.contract_total" in result.err
    assert not (tmp_path / "x.toml").exists()


def _readme_block(language: str) -> str:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    return readme.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_the_readme_csv_example_imports(milepost, tmp_path):
    path = write(tmp_path, "acme.csv", _readme_block("csv"))
    assert milepost("schedule", "import", path).code == 0
    report = json.loads(milepost("report", "ACME-WEB", "--format", "json").out)
    assert [m["amount"] for m in report["milestones"]] == ["10000.00", "15000.00", "25000.00"]
