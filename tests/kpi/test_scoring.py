"""Monthly scoring: boundaries, overrides, point validation and the ND 335 task formula."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, replace
from decimal import Decimal

import pytest

from kpi.scoring import ScoringError, criteria_for, grade_for_total, points_errors, score
from kpi.spec import CriterionSpec

D = Decimal
FULL_CC = {"CC1": 10, "CC2": 10, "CC3": 10}

# Expected band by position: 0 = lowest (D / KHT) … 3 = highest (A / HTXS).
BOUNDARIES = [("49.99", 0), ("50", 1), ("69.99", 1), ("70", 2), ("89.99", 2), ("90", 3)]


def band_at(spec, position):
    return sorted(spec.grades, key=lambda b: b.min)[position].code


# --- boundaries --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["HN-3814-2018", "VN-ND335-2025"])
@pytest.mark.parametrize(("total", "position"), BOUNDARIES)
def test_grade_for_total_boundaries(specs, code, total, position):
    spec = specs[code]
    assert grade_for_total(spec, D(total)) == band_at(spec, position)


@pytest.mark.parametrize(("total", "expected"), [("89.994", "B"), ("89.995", "A"), ("49.995", "C"), ("0", "D")])
def test_bands_compare_the_rounded_total(hn, total, expected):
    assert grade_for_total(hn, D(total)) == expected


@pytest.mark.parametrize("variant", ["STAFF", "LEADER"])
@pytest.mark.parametrize(
    ("total", "expected"),
    [("49.5", "D"), ("50", "C"), ("69.5", "C"), ("70", "B"), ("89.5", "B"), ("90", "A"), ("100", "A"), ("0", "D")],
)
def test_3814_boundaries_through_points(hn, fill, variant, total, expected):
    result = score(hn, variant=variant, points=fill(hn, variant, total))
    assert result.total == D(total)
    assert result.grade == result.grade_before_overrides == expected
    assert result.overrides == ()


def _nd_staff_inputs(kq: Decimal) -> dict:
    share = (kq / 70).quantize(D("0.000001"))
    return {"task_results": dict.fromkeys(("quantity", "quality", "timeliness"), share)}


def _nd_leader_inputs(kq: Decimal) -> dict:
    # KQ = 70 × (0.5 × s + 0.25 × 1.0 + 0.25 × s) with all subordinate units at least HT.
    share = ((kq / 70 - D("0.25")) / D("0.75")).quantize(D("0.000001"))
    return {
        "task_results": dict.fromkeys(("quantity", "quality", "timeliness"), share),
        "leader_inputs": {"organising": share, "any_subordinate_unit_KHT": False},
    }


@pytest.mark.parametrize(("variant", "inputs"), [("STAFF", _nd_staff_inputs), ("LEADER", _nd_leader_inputs)])
@pytest.mark.parametrize(("total", "position"), BOUNDARIES)
def test_nd335_boundaries_through_task_results(nd, fill, variant, inputs, total, position):
    general = D(20)
    result = score(nd, variant=variant, points=fill(nd, variant, general), **inputs(D(total) - general))
    assert result.total == D(total)
    assert result.groups["CC"] == general
    assert result.grade == band_at(nd, position)


# --- overrides ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "expected"),
    [(D("0.5"), "C"), ("0.5", "C"), (0.5, "C"), (D("0.3"), "C"), (D(0), "C"), (D("0.51"), "A"), (1, "A")],
)
def test_attendance_caps_at_c(hn, fill, share, expected):
    result = score(hn, variant="STAFF", points=fill(hn, "STAFF", 95), flags={"worked_share": share})
    assert result.grade_before_overrides == "A"
    assert result.grade == expected
    assert [rule for rule, _ in result.overrides] == (["worked_share_le_0_5"] if expected == "C" else [])


def test_attendance_cap_never_raises_a_lower_grade(hn, fill):
    result = score(hn, variant="STAFF", points=fill(hn, "STAFF", 40), flags={"worked_share": D("0.2")})
    assert result.grade == "D"
    (rule_id, reason), *_ = result.overrides
    assert rule_id == "worked_share_le_0_5"
    assert "giữ D" in reason


def test_attendance_reason_is_vietnamese_and_names_the_change(hn, fill):
    result = score(hn, variant="LEADER", points=fill(hn, "LEADER", 80), flags={"worked_share": D("0.4")})
    assert result.grade == "C"
    (_, reason), *_ = result.overrides
    assert "hạ từ B xuống C" in reason
    assert "ngày làm việc" in reason


@pytest.mark.parametrize("variant", ["STAFF", "LEADER"])
def test_discipline_forces_d(hn, fill, variant):
    result = score(hn, variant=variant, points=fill(hn, variant, 100), flags={"disciplined_in_period": True})
    assert (result.grade_before_overrides, result.grade) == ("A", "D")
    assert result.total == 100


def test_not_disciplined_changes_nothing(hn, fill):
    result = score(hn, variant="STAFF", points=fill(hn, "STAFF", 100), flags={"disciplined_in_period": False})
    assert result.grade == "A" and result.overrides == ()


def test_overrides_apply_in_order_and_are_all_recorded(hn, fill):
    flags = {"worked_share": D("0.5"), "disciplined_in_period": True}
    result = score(hn, variant="STAFF", points=fill(hn, "STAFF", 95), flags=flags)
    assert result.grade == "D"
    assert [rule for rule, _ in result.overrides] == ["worked_share_le_0_5", "disciplined_in_period"]
    assert "hạ từ A xuống C" in result.overrides[0][1]
    assert "hạ từ C xuống D" in result.overrides[1][1]


@pytest.mark.parametrize(
    "flag",
    [
        "disciplined_reprimand_or_higher_in_year",
        "concluded_ideological_or_ethical_degradation",
        "leader_unit_corruption_or_waste_handled",
    ],
)
def test_nd335_kht_whatever_the_score(nd, flag):
    result = score(
        nd,
        variant="STAFF",
        points=FULL_CC,
        task_results=dict.fromkeys(("quantity", "quality", "timeliness"), 1),
        flags={flag: True},
    )
    assert (result.total, result.grade_before_overrides, result.grade) == (100, "HTXS", "KHT")
    assert result.overrides[0][0] == flag


def test_flags_no_rule_reads_are_ignored(hn, fill):
    result = score(hn, variant="STAFF", points=fill(hn, "STAFF", 95), flags={"something_else": "x"})
    assert result.grade == "A"


@pytest.mark.parametrize(
    ("flags", "field"),
    [
        ({"disciplined_in_period": "yes"}, "disciplined_in_period"),
        ({"disciplined_in_period": 1}, "disciplined_in_period"),
        ({"worked_share": "half"}, "worked_share"),
        ({"worked_share": True}, "worked_share"),
    ],
)
def test_bad_flag_values(hn, fill, flags, field):
    with pytest.raises(ScoringError) as caught:
        score(hn, variant="STAFF", points=fill(hn, "STAFF", 95), flags=flags)
    assert caught.value.field == field
    assert field in str(caught.value)


# --- point validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"XX9": 1}, "XX9", "không có trong khung"),
        ({"LD1": 10}, "LD1", "không thuộc biến thể STAFF"),
        ({"KL1": -0.5}, "KL1", "không được âm"),
        ({"KL1": D("5.5")}, "KL1", "vượt quá điểm tối đa 5"),
        ({"NV1": 31}, "NV1", "vượt quá"),
        ({"KL1": D("4.3")}, "KL1", "KL1 (4,3) phải là bội số của 0,5"),
        ({"KL1": "4.25"}, "KL1", "bội số"),
        ({"KL1": "abc"}, "KL1", "không phải là số"),
        ({"KL1": None}, "KL1", "không phải là số"),
        ({"KL1": True}, "KL1", "không phải là số"),
        ({"KL1": "NaN"}, "KL1", "không phải là số"),
        ({"KL1": "Infinity"}, "KL1", "không phải là số"),
        ({"KL1": [4]}, "KL1", "không phải là số"),
        ({"KL1": "4,5"}, "KL1", "không phải là số"),
    ],
)
def test_point_errors(hn, fill, change, field, fragment):
    points = {**fill(hn, "STAFF", 80), **change}
    with pytest.raises(ScoringError) as caught:
        score(hn, variant="STAFF", points=points)
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)
    assert field in str(caught.value) and fragment in str(caught.value)


def test_missing_criterion_is_an_error(hn, fill):
    points = fill(hn, "STAFF", 80)
    del points["TH2"]
    with pytest.raises(ScoringError, match="Thiếu điểm tiêu chí TH2") as caught:
        score(hn, variant="STAFF", points=points)
    assert caught.value.field == "TH2"


def test_computed_group_points_are_refused(nd):
    with pytest.raises(ScoringError) as caught:
        score(
            nd,
            variant="STAFF",
            points={**FULL_CC, "KQ": 70},
            task_results={"quantity": 1, "quality": 1, "timeliness": 1},
        )
    assert caught.value.field == "KQ"
    assert "tính từ kết quả sản phẩm" in str(caught.value)


def test_unknown_variant(hn):
    with pytest.raises(ScoringError) as caught:
        score(hn, variant="BOSS", points={})
    assert caught.value.field == "variant"
    with pytest.raises(ScoringError):
        criteria_for(hn, "BOSS")


def test_points_errors_lists_every_problem(hn, fill):
    points = {**fill(hn, "STAFF", 80), "KL1": 7, "KL2": "x", "ZZ": 1}
    del points["NV3"]
    assert [e.field for e in points_errors(hn, variant="STAFF", points=points)] == ["ZZ", "KL1", "KL2", "NV3"]
    assert points_errors(hn, variant="STAFF", points=fill(hn, "STAFF", 80)) == []


@pytest.mark.parametrize("value", [4, "4.5", D("4.5"), 4.5, " 3 "])
def test_accepted_number_forms(hn, fill, value):
    points = {**fill(hn, "STAFF", 0), "KL1": value}
    assert score(hn, variant="STAFF", points=points).criteria["KL1"] == D(str(value).strip())


def test_group_subtotals_and_criteria(hn):
    points = {"KL1": 5, "KL2": 4.5, "KL3": 5, "KL4": 4, "LD1": 28, "LD2": "18.5", "LD3": 17, "TH1": 0, "TH2": 2}
    result = score(hn, variant="LEADER", points=points)
    assert dict(result.groups) == {"KL": D("18.5"), "NV": D("63.5"), "TH": D(2)}
    assert result.total == D("84.00") and result.grade == "B"
    assert list(result.criteria) == ["KL1", "KL2", "KL3", "KL4", "LD1", "LD2", "LD3", "TH1", "TH2"]
    assert result.task_shares is None


def test_task_inputs_are_refused_where_nothing_is_computed(hn, fill):
    with pytest.raises(ScoringError) as caught:
        score(hn, variant="STAFF", points=fill(hn, "STAFF", 80), task_results={"quantity": 1})
    assert caught.value.field == "task_results"


# --- ND 335 task results -----------------------------------------------------------------------


def test_nd335_from_shares(nd):
    result = score(
        nd, variant="STAFF", points=FULL_CC, task_results={"quantity": "0.9", "quality": "0.8", "timeliness": "0.7"}
    )
    assert result.groups["KQ"] == D("56.00")
    assert result.total == D("86.00") and result.grade == "HTT"
    assert dict(result.task_shares) == {"quantity": D("0.9"), "quality": D("0.8"), "timeliness": D("0.7")}


def test_nd335_subtotal_is_rounded_half_up(nd):
    result = score(nd, variant="STAFF", points=FULL_CC, task_results={"quantity": 1, "quality": 1, "timeliness": "0.5"})
    assert result.groups["KQ"] == D("58.33")  # 70 × 2.5 / 3 = 58.333…


@pytest.mark.parametrize(
    ("task_results", "field"),
    [
        ({"quantity": "1.01", "quality": 1, "timeliness": 1}, "quantity"),
        ({"quantity": 1, "quality": -0.1, "timeliness": 1}, "quality"),
        ({"quantity": 1, "quality": 1, "timeliness": "x"}, "timeliness"),
        ({"quantity": 1, "quality": 1}, "timeliness"),
        ({"quantity": 1, "quality": 1, "timeliness": 1, "speed": 1}, "speed"),
    ],
)
def test_nd335_share_validation(nd, task_results, field):
    with pytest.raises(ScoringError) as caught:
        score(nd, variant="STAFF", points=FULL_CC, task_results=task_results)
    assert caught.value.field == field


def test_nd335_needs_exactly_one_task_input(nd):
    with pytest.raises(ScoringError):
        score(nd, variant="STAFF", points=FULL_CC)
    with pytest.raises(ScoringError):
        score(
            nd,
            variant="STAFF",
            points=FULL_CC,
            task_results={"quantity": 1, "quality": 1, "timeliness": 1},
            products={"assigned_units": 1, "done": [{"units": 1}]},
        )


def test_nd335_from_products_weighted_by_conversion_units(nd):
    products = {
        "assigned_units": 10,
        "done": [
            {"units": 4, "failed_reviews": 1, "delays": 0},
            {"units": 6, "failed_reviews": 0, "delays": 2, "excused_delays": 1},
        ],
    }
    result = score(nd, variant="STAFF", points=FULL_CC, products=products)
    # quality = (4 × 0.75 + 6 × 1) / 10 = 0.9; timeliness = (4 × 1 + 6 × 0.75) / 10 = 0.85
    assert dict(result.task_shares) == {"quantity": D(1), "quality": D("0.9"), "timeliness": D("0.85")}
    assert result.groups["KQ"] == D("64.17")  # 70 × 2.75 / 3
    assert result.total == D("94.17") and result.grade == "HTXS"


def test_nd335_excused_failures_and_delays_do_not_count(nd):
    products = {
        "assigned_units": 2,
        "done": [{"units": 2, "failed_reviews": 2, "excused_failed_reviews": 2, "delays": 3, "excused_delays": 3}],
    }
    result = score(nd, variant="STAFF", points=FULL_CC, products=products)
    assert result.groups["KQ"] == 70


def test_nd335_penalty_floors_at_zero(nd):
    products = {"assigned_units": 1, "done": [{"units": 1, "failed_reviews": 5, "delays": 4}]}
    result = score(nd, variant="STAFF", points=FULL_CC, products=products)
    assert (result.task_shares["quality"], result.task_shares["timeliness"]) == (0, 0)
    assert result.groups["KQ"] == D("23.33")


def test_nd335_over_complete_quantity_is_capped(nd):
    products = {"assigned_units": 5, "done": [{"units": 3}, {"units": 5}]}
    result = score(nd, variant="STAFF", points=FULL_CC, products=products)
    assert result.task_shares["quantity"] == 1
    assert result.total == 100


def test_nd335_partial_quantity(nd):
    products = {"assigned_units": 8, "done": [{"units": D("1.5")}, {"units": D("4.5")}]}
    result = score(nd, variant="STAFF", points=FULL_CC, products=products)
    assert result.task_shares["quantity"] == D("0.75")
    assert result.groups["KQ"] == D("64.17")


def test_nd335_nothing_done(nd):
    result = score(nd, variant="STAFF", points=FULL_CC, products={"assigned_units": 3, "done": []})
    assert result.groups["KQ"] == 0
    assert result.total == 30 and result.grade == "KHT"


@pytest.mark.parametrize(
    ("products", "field"),
    [
        ({"assigned_units": 0, "done": []}, "assigned_units"),
        ({"done": []}, "assigned_units"),
        ({"assigned_units": 2, "done": [{"units": 0}]}, "done[0].units"),
        ({"assigned_units": 2, "done": [{"failed_reviews": 1}]}, "done[0].units"),
        ({"assigned_units": 2, "done": [{"units": 1, "delays": -1}]}, "done[0].delays"),
        ({"assigned_units": 2, "done": [{"units": 1, "delays": 1.5}]}, "done[0].delays"),
        ({"assigned_units": 2, "done": [{"units": 1, "delays": 1, "excused_delays": 2}]}, "done[0].excused_delays"),
        (
            {"assigned_units": 2, "done": [{"units": 1}, {"units": 1, "excused_failed_reviews": 1}]},
            "done[1].excused_failed_reviews",
        ),
        ({"assigned_units": 2, "done": [{"units": 1, "colour": "red"}]}, "done[0]"),
        ({"assigned_units": 2, "done": "everything"}, "done"),
    ],
)
def test_nd335_product_validation(nd, products, field):
    with pytest.raises(ScoringError) as caught:
        score(nd, variant="STAFF", points=FULL_CC, products=products)
    assert caught.value.field == field


@pytest.mark.parametrize(("any_kht", "unit", "kq"), [(False, D(1), D("61.25")), (True, D("0.5"), D("52.50"))])
def test_nd335_leader_combines_own_unit_and_organising(nd, any_kht, unit, kq):
    result = score(
        nd,
        variant="LEADER",
        points=FULL_CC,
        task_results={"quantity": 1, "quality": 1, "timeliness": 1},
        leader_inputs={"organising": D("0.5"), "any_subordinate_unit_KHT": any_kht},
    )
    # 70 × (0.5 × 1 + 0.25 × unit + 0.25 × 0.5)
    assert result.groups["KQ"] == kq
    assert result.task_shares["unit_results"] == unit
    assert result.task_shares["own_products"] == 1


def test_nd335_leader_reads_the_unit_flag_from_flags_too(nd):
    result = score(
        nd,
        variant="LEADER",
        points=FULL_CC,
        products={"assigned_units": 1, "done": [{"units": 1}]},
        leader_inputs={"organising": 1},
        flags={"any_subordinate_unit_KHT": True},
    )
    assert result.groups["KQ"] == D("61.25")


@pytest.mark.parametrize(
    ("leader_inputs", "field"),
    [
        (None, "leader_inputs"),
        ({"any_subordinate_unit_KHT": False}, "organising"),
        ({"organising": "1.5", "any_subordinate_unit_KHT": False}, "organising"),
        ({"organising": 1}, "any_subordinate_unit_KHT"),
        ({"organising": 1, "any_subordinate_unit_KHT": "no"}, "any_subordinate_unit_KHT"),
        ({"organising": 1, "any_subordinate_unit_KHT": False, "charisma": 1}, "charisma"),
    ],
)
def test_nd335_leader_input_validation(nd, leader_inputs, field):
    with pytest.raises(ScoringError) as caught:
        score(
            nd,
            variant="LEADER",
            points=FULL_CC,
            task_results={"quantity": 1, "quality": 1, "timeliness": 1},
            leader_inputs=leader_inputs,
        )
    assert caught.value.field == field


def test_nd335_staff_must_not_send_leader_inputs(nd):
    with pytest.raises(ScoringError) as caught:
        score(
            nd,
            variant="STAFF",
            points=FULL_CC,
            task_results={"quantity": 1, "quality": 1, "timeliness": 1},
            leader_inputs={"organising": 1},
        )
    assert caught.value.field == "leader_inputs"


# --- result ------------------------------------------------------------------------------------


def test_result_is_frozen_and_json_ready(nd):
    result = score(
        nd,
        variant="STAFF",
        points=FULL_CC,
        task_results={"quantity": 1, "quality": 1, "timeliness": "0.5"},
        flags={"disciplined_reprimand_or_higher_in_year": True},
    )
    with pytest.raises(FrozenInstanceError):
        result.total = D(1)
    with pytest.raises(TypeError):
        result.groups["KQ"] = D(1)
    data = json.loads(json.dumps(result.as_dict()))
    assert data["total"] == 88.33
    assert data["groups"] == {"CC": 30, "KQ": 58.33}
    assert data["grade"] == "KHT" and data["grade_before_overrides"] == "HTT"
    assert data["overrides"][0]["id"] == "disciplined_reprimand_or_higher_in_year"
    assert data["task_shares"]["timeliness"] == 0.5


# --- deductions (none ship today, but a version may define them) -------------------------------


@pytest.fixture
def with_deduction(hn):
    return replace(hn, deductions=(CriterionSpec("TR1", "Vi phạm nội quy", D(10), D(1)),))


def test_deductions_are_optional_and_subtracted(with_deduction, fill):
    points = fill(with_deduction, "STAFF", 95)
    assert score(with_deduction, variant="STAFF", points=points).total == 95
    result = score(with_deduction, variant="STAFF", points={**points, "TR1": 6})
    assert (result.total, result.deductions, result.grade) == (D(89), D(6), "B")
    assert result.criteria["TR1"] == 6
    assert sum(result.groups.values()) - result.deductions == result.total


def test_deductions_never_take_the_total_below_zero(with_deduction, fill):
    result = score(with_deduction, variant="STAFF", points={**fill(with_deduction, "STAFF", 4), "TR1": 10})
    assert result.total == 0 and result.grade == "D"


@pytest.mark.parametrize(("value", "fragment"), [(11, "vượt quá"), ("2.5", "bội số của 1")])
def test_deductions_are_validated_like_criteria(with_deduction, fill, value, fragment):
    with pytest.raises(ScoringError, match=fragment) as caught:
        score(with_deduction, variant="STAFF", points={**fill(with_deduction, "STAFF", 90), "TR1": value})
    assert caught.value.field == "TR1"


def test_grade_for_total_reads_floats_by_their_text(hn):
    assert grade_for_total(hn, 89.995) == "A"  # Decimal(89.995) would be 89.99499…
    with pytest.raises(ValueError):
        grade_for_total(hn, "n/a")


@pytest.mark.parametrize("text", ["1e1", "1_0", "١٠", "１０", "1.2.3", "", " ", "nan", "Infinity", "0x10", "1,5"])
def test_only_plain_numbers_are_numbers(text):
    from kpi.scoring import to_decimal

    assert to_decimal(text) is None


@pytest.mark.parametrize(
    ("value", "expected"), [("10", "10"), (" 2.5 ", "2.5"), (".5", "0.5"), ("-0", "0"), (1e-05, "0.00001")]
)
def test_plain_numbers_and_negative_zero(value, expected):
    from kpi.scoring import to_decimal

    assert to_decimal(value) == Decimal(expected) and not to_decimal(value).is_signed()
