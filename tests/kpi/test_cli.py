"""The dry-run commands `kpi_score` and `kpi_quota` over the published reference versions."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

import manage
from kpi import services
from kpi.models import FrameworkVersion

pytestmark = pytest.mark.django_db

HN_FULL = {"KL1": 5, "KL2": 5, "KL3": 5, "KL4": 5, "NV1": 30, "NV2": 25, "NV3": 15, "TH1": 5, "TH2": 5}
HN_LEADER = {"KL1": 5, "KL2": 5, "KL3": 4.5, "KL4": 5, "LD1": 28, "LD2": 18, "LD3": 19.5, "TH1": 0, "TH2": 2}
ND_POINTS = {"CC1": 10, "CC2": 9.5, "CC3": 8}


@pytest.fixture
def case_file(tmp_path):
    def write(case, name="case.json") -> str:
        path = tmp_path / name
        path.write_text(case if isinstance(case, str) else json.dumps(case), encoding="utf-8")
        return str(path)

    return write


def score(path: str) -> dict:
    out = io.StringIO()
    call_command("kpi_score", "--input", path, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def score_error(path: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("kpi_score", "--input", path, stdout=io.StringIO(), stderr=io.StringIO())
    return str(caught.value)


# --- kpi_score: good cases -------------------------------------------------------------------------------


def test_3814_staff_full_marks(case_file):
    result = score(case_file({"framework": "HN-3814-2018", "variant": "STAFF", "points": HN_FULL}))
    assert result["total"] == 100 and result["grade"] == "A"
    assert result["groups"] == {"KL": 20, "NV": 70, "TH": 10}
    assert result["overrides"] == [] and result["grade_label"] == "Hoàn thành xuất sắc nhiệm vụ"


def test_3814_leader_variant(case_file):
    result = score(case_file({"framework": "HN-3814-2018", "variant": "LEADER", "points": HN_LEADER}))
    assert result["groups"] == {"KL": 19.5, "NV": 65.5, "TH": 2} and result["total"] == 87 and result["grade"] == "B"


def test_3814_overrides_are_listed_by_rule_id(case_file):
    case = {
        "framework": "HN-3814-2018",
        "variant": "STAFF",
        "points": HN_FULL,
        "flags": {"worked_share": 0.4, "disciplined_in_period": True},
    }
    result = score(case_file(case))
    assert result["total"] == 100 and result["grade_before_overrides"] == "A" and result["grade"] == "D"
    assert result["overrides"] == ["worked_share_le_0_5", "disciplined_in_period"]
    assert "Bị kỷ luật" in result["override_reasons"][1]["reason"]


def test_nd335_with_task_results(case_file):
    case = {
        "framework": "VN-ND335-2025",
        "variant": "STAFF",
        "points": ND_POINTS,
        "task_results": {"quantity": 1, "quality": 0.9, "timeliness": 0.75},
    }
    result = score(case_file(case))
    # KQ = 70 × (1 + 0.9 + 0.75) / 3 = 61.83; total 27.5 + 61.83
    assert result["groups"] == {"CC": 27.5, "KQ": 61.83} and result["total"] == 89.33 and result["grade"] == "HTT"
    assert result["task_shares"] == {"quantity": 1, "quality": 0.9, "timeliness": 0.75}


def test_nd335_leader_with_products_and_discipline(case_file):
    case = {
        "framework": "VN-ND335-2025",
        "variant": "LEADER",
        "points": {"CC1": 10, "CC2": 10, "CC3": 10},
        "products": {"assigned_units": 4, "done": [{"units": 2}, {"units": 2, "failed_reviews": 1}]},
        "leader_inputs": {"organising": 1, "any_subordinate_unit_KHT": False},
        "flags": {"disciplined_reprimand_or_higher_in_year": True},
    }
    result = score(case_file(case))
    # own = (1 + 0.875 + 1) / 3; KQ = 70 × (0.5 × own + 0.25 + 0.25) = 68.54
    assert result["groups"]["KQ"] == 68.54 and result["grade_before_overrides"] == "HTXS"
    assert result["grade"] == "KHT" and result["overrides"] == ["disciplined_reprimand_or_higher_in_year"]


def test_flags_no_rule_reads_are_reported(case_file):
    out, err = io.StringIO(), io.StringIO()
    path = case_file({"framework": "HN-3814-2018", "variant": "STAFF", "points": HN_FULL, "flags": {"on_leave": True}})
    call_command("kpi_score", "--input", path, stdout=out, stderr=err)
    result = json.loads(out.getvalue())
    assert result["grade"] == "A" and result["ignored_flags"] == ["on_leave"]
    assert "disciplined_in_period" in err.getvalue()


def test_reads_standard_input(monkeypatch):
    monkeypatch.setattr(
        sys, "stdin", io.StringIO(json.dumps({"framework": "HN-3814-2018", "variant": "STAFF", "points": HN_FULL}))
    )
    assert score("-")["total"] == 100


# --- kpi_score: bad input ------------------------------------------------------------------------------------


def test_unreadable_file(tmp_path):
    assert "không-có.json" in score_error(str(tmp_path / "không-có.json"))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "JSON"),
        ("[1, 2]", "đối tượng JSON"),
        ({"variant": "STAFF", "points": {}}, "framework"),
        ({"framework": "HN-3814-2018", "points": {}}, "variant"),
        ({"framework": "HN-3814-2018", "variant": "STAFF"}, "points"),
        ({"framework": "HN-3814-2018", "variant": "STAFF", "points": {}, "extra": 1}, "extra"),
        ({"framework": "HN-9999", "variant": "STAFF", "points": HN_FULL}, "HN-9999"),
        ({"framework": "HN-3814-2018", "variant": "CHIEF", "points": HN_FULL}, "CHIEF"),
        ({"framework": "HN-3814-2018", "variant": "STAFF", "points": HN_FULL, "flags": [1]}, "flags"),
    ],
)
def test_bad_case_files(case_file, content, expected):
    assert expected in score_error(case_file(content))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"NV1": 31}, "NV1"),  # above the maximum
        ({"KL2": -1}, "KL2"),
        ({"KL3": "năm"}, "KL3"),
        ({"TH1": 1.25}, "TH1"),  # not a multiple of the 0.5 step
        ({"LD1": 20}, "LD1"),  # a leader criterion on the staff variant
        ({"ZZ9": 1}, "ZZ9"),
    ],
)
def test_point_errors_name_the_criterion(case_file, change, code):
    message = score_error(case_file({"framework": "HN-3814-2018", "variant": "STAFF", "points": {**HN_FULL, **change}}))
    assert message.startswith(f"{code}:") and code in message.split(":", 1)[1]


def test_missing_criterion_is_named(case_file):
    points = {k: v for k, v in HN_FULL.items() if k != "NV3"}
    assert "NV3" in score_error(case_file({"framework": "HN-3814-2018", "variant": "STAFF", "points": points}))


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "task_results"),
        ({"task_results": {"quantity": 1, "quality": 1.2, "timeliness": 1}}, "quality"),
        ({"task_results": {"quantity": 1, "quality": 1}}, "timeliness"),
    ],
)
def test_nd335_task_result_errors(case_file, extra, expected):
    case = {"framework": "VN-ND335-2025", "variant": "STAFF", "points": ND_POINTS, **extra}
    assert expected in score_error(case_file(case))


def test_bad_flag_value(case_file):
    case = {"framework": "HN-3814-2018", "variant": "STAFF", "points": HN_FULL, "flags": {"worked_share": "nửa"}}
    assert "worked_share" in score_error(case_file(case))


def test_only_published_versions(case_file, org):
    services.framework_version_copy(
        source=FrameworkVersion.objects.get(code="HN-3814-2018"), code="HN-3814-2027", actor=org.user("hr")
    )
    assert "HN-3814-2027" in score_error(
        case_file({"framework": "HN-3814-2027", "variant": "STAFF", "points": HN_FULL})
    )


def test_exit_codes_through_manage_py(case_file, monkeypatch, capsys):
    # run_from_argv closes every connection when it ends; that would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    good = case_file({"framework": "HN-3814-2018", "variant": "STAFF", "points": HN_FULL}, "good.json")
    monkeypatch.setattr(sys, "argv", ["manage.py", "kpi_score", "--input", good])
    manage.main()  # returns normally: exit code 0
    assert json.loads(capsys.readouterr().out)["grade"] == "A"
    bad = case_file({"framework": "HN-3814-2018", "variant": "STAFF", "points": {**HN_FULL, "NV2": 26}}, "bad.json")
    monkeypatch.setattr(sys, "argv", ["manage.py", "kpi_score", "--input", bad])
    with pytest.raises(SystemExit) as caught:
        manage.main()
    assert caught.value.code == 1
    assert "NV2" in capsys.readouterr().err


# --- kpi_quota ------------------------------------------------------------------------------------------------


def quota(*args) -> dict:
    out = io.StringIO()
    call_command("kpi_quota", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("grades", "exception", "allowed", "count", "ok"),
    [
        ("A,B,B,C", False, 1, 1, True),  # a small group (≤ 5 rated) may have one A
        ("A,A,B,B,C", False, 1, 2, False),
        ("A,A,B,B,C", True, 2, 2, True),  # 40% of 5
        ("A,A,A,B,B,B,B,B,C,D", False, 3, 3, True),  # 30% of 10
        ("A,A,A,A,B,B,B,B,C,D", False, 3, 4, False),
    ],
)
def test_quota_3814(grades, exception, allowed, count, ok):
    args = ["--framework", "HN-3814-2018", "--grades", grades] + (["--exception"] if exception else [])
    result = quota(*args)
    assert (result["allowed"], result["count"], result["ok"]) == (allowed, count, ok)
    assert result["grade"] == "A" and result["justification_required"] is exception


def test_quota_nd335_counts_against_htt():
    result = quota("--framework", "VN-ND335-2025", "--grades", "HTXS,HTXS,HTT,HTT,HTT,HTT,HTT,HTT,HT,HT,KHT")
    assert (result["allowed"], result["count"], result["ok"], result["base"]) == (1, 2, False, 6)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--framework", "VN-ND335-2025", "--grades", "HTXS,HTT", "--exception"], "ngoại lệ"),
        (["--framework", "VN-ND335-2025", "--grades", "HTXS,A"], "“A”"),
        (["--framework", "HN-3814-2018", "--grades", "A,,B"], "thứ 2"),
        (["--framework", "HN-0000", "--grades", "A"], "HN-0000"),
    ],
)
def test_quota_errors(args, expected):
    with pytest.raises(CommandError, match=expected):
        call_command("kpi_quota", *args, stdout=io.StringIO())


def test_docs_examples_exist():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "FRAMEWORKS.md").read_text(encoding="utf-8")
    assert "kpi_score --input" in doc and "kpi_quota --framework" in doc


@pytest.mark.parametrize(
    ("framework", "points", "extra", "rule", "lowest"),
    [
        ("HN-3814-2018", HN_FULL, {}, "disciplined_in_period", "D"),
        (
            "VN-ND335-2025",
            {"CC1": 10, "CC2": 10, "CC3": 10},
            {"task_results": {"quantity": 1, "quality": 1, "timeliness": 1}},
            "disciplined_reprimand_or_higher_in_year",
            "KHT",
        ),
    ],
)
def test_disciplined_is_the_frameworks_discipline_flag(case_file, framework, points, extra, rule, lowest):
    case = {"framework": framework, "variant": "STAFF", "points": points, **extra, "flags": {"disciplined": True}}
    result = score(case_file(case))
    assert result["grade"] == lowest and rule in result["overrides"] and result["ignored_flags"] == []
    case["flags"] = {"disciplined": False}
    assert score(case_file(case))["overrides"] == []


def test_nd335_leader_inputs_may_stand_in_task_results(case_file):
    shares = {"quantity": 1, "quality": 1, "timeliness": 1}
    case = {
        "framework": "VN-ND335-2025",
        "variant": "LEADER",
        "points": {"CC1": 10, "CC2": 10, "CC3": 10},
        "task_results": {**shares, "organising": 0.5, "any_subordinate_unit_KHT": True},
    }
    # KQ = 70 × (0.5 × 1 + 0.25 × 0.5 + 0.25 × 0.5) = 52.5
    assert score(case_file(case))["groups"]["KQ"] == 52.5
    case["task_results"] = shares
    assert "organising" in score_error(case_file(case))
