"""Framework versions: reading the shipped YAML, the structured round trip, and validation."""

from __future__ import annotations

import copy
import json
import os
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from kpi.spec import (
    DEFAULTS,
    CriterionSpec,
    FrozenMap,
    GradeBand,
    OverrideRule,
    QuarterlyWeights,
    SpecError,
    spec_from_dict,
    spec_to_dict,
    validate_spec,
)
from tests.kpi.conftest import CODES, FRAMEWORKS_DIR

# The project's shared/ folder sits beside the checkout (as on the developers' machines and in CI).
SHARED_DIR = Path(__file__).resolve().parents[3] / "shared" / "frameworks"


@pytest.mark.parametrize("code", CODES)
def test_repo_copy_is_byte_identical_to_the_shared_file(code):
    shared = SHARED_DIR / f"{code}.yaml"
    if not shared.exists():
        assert os.environ.get("CI") != "true", f"{shared} is missing: CI lays shared/ beside the checkout"
        pytest.skip("no shared/ folder beside this checkout")
    assert (FRAMEWORKS_DIR / f"{code}.yaml").read_bytes() == shared.read_bytes()


@pytest.mark.parametrize("code", CODES)
def test_shipped_versions_are_valid(specs, code):
    assert validate_spec(specs[code]) == []


def test_3814_structure(hn):
    assert hn.code == "HN-3814-2018"
    assert hn.effective_from == date(2018, 7, 1)
    assert hn.applies_to == ("CAN_BO", "CONG_CHUC", "VIEN_CHUC", "LAO_DONG_HOP_DONG")
    assert hn.period == "monthly"
    assert hn.scale_max == 100
    assert [(g.code, g.max_points) for g in hn.groups] == [("KL", 20), ("NV", 70), ("TH", 10)]
    assert hn.variants == ("STAFF", "LEADER")
    kl, nv, _ = hn.groups
    assert kl.criteria["STAFF"] == kl.criteria["LEADER"]
    assert [c.code for c in nv.criteria["STAFF"]] == ["NV1", "NV2", "NV3"]
    assert [(c.code, c.max_points) for c in nv.criteria["LEADER"]] == [("LD1", 30), ("LD2", 20), ("LD3", 20)]
    assert [(b.code, b.min) for b in hn.grades] == [("A", 90), ("B", 70), ("C", 50), ("D", 0)]
    assert hn.deductions == ()
    assert hn.task_formula is None and hn.leader_formula is None


def test_3814_overrides_are_structured(hn):
    attendance, discipline = hn.overrides
    assert attendance == OverrideRule(
        id="worked_share_le_0_5",
        flag="worked_share",
        operator="le",
        threshold=Decimal("0.5"),
        effect="max_grade",
        target="C",
        label_vi=DEFAULTS["flag_labels_vi"]["worked_share"],
    )
    assert (discipline.id, discipline.flag, discipline.operator, discipline.threshold) == (
        "disciplined_in_period",
        "disciplined_in_period",
        "is_true",
        None,
    )
    assert (discipline.effect, discipline.target) == ("grade", "D")


def test_3814_quota_and_annual(hn):
    quota = hn.quota
    assert (quota.grade, quota.base, quota.ratio) == ("A", "rated_in_unit", Decimal("0.30"))
    assert (quota.exception_ratio, quota.exception_requires_justification) == (Decimal("0.40"), True)
    assert (quota.rounding, quota.small_group_below, quota.small_group_allowed) == ("floor", 5, 1)
    assert quota.scope == ("unit",)
    assert quota.base_grade is None
    assert dict(hn.annual.level_map) == {"A": "HTXS", "B": "HTT", "C": "HT", "D": "KHT"}
    assert hn.annual.deadline is None
    assert hn.annual.method == "mean_of_evaluated_months"


def test_nd335_structure(nd):
    cc, kq = nd.groups
    assert (cc.code, cc.max_points, kq.code, kq.max_points) == ("CC", 30, "KQ", 70)
    assert kq.computed_from == "products" and kq.is_computed
    assert dict(kq.criteria) == {}
    assert nd.variants == ("STAFF", "LEADER")
    assert [b.code for b in nd.grades] == ["HTXS", "HTT", "HT", "KHT"]
    assert [(o.id, o.flag, o.operator, o.target) for o in nd.overrides] == [
        ("disciplined_reprimand_or_higher_in_year", "disciplined_reprimand_or_higher_in_year", "is_true", "KHT"),
        (
            "concluded_ideological_or_ethical_degradation",
            "concluded_ideological_or_ethical_degradation",
            "is_true",
            "KHT",
        ),
        ("leader_unit_corruption_or_waste_handled", "leader_unit_corruption_or_waste_handled", "is_true", "KHT"),
    ]
    assert (nd.quota.grade, nd.quota.base, nd.quota.base_grade, nd.quota.ratio) == (
        "HTXS",
        "count_of_grade:HTT",
        "HTT",
        Decimal("0.20"),
    )
    assert nd.quota.exception_ratio is None
    assert nd.quota.scope == ("unit", "similar_task_group")
    assert nd.annual.deadline == (12, 15)
    assert dict(nd.annual.level_map) == {"HTXS": "HTXS", "HTT": "HTT", "HT": "HT", "KHT": "KHT"}


def test_nd335_formulas_are_read_from_the_yaml_strings(nd):
    task = nd.task_formula
    assert (task.quantity_cap, task.quality_penalty, task.timeliness_penalty) == (1, Decimal("0.25"), Decimal("0.25"))
    assert (task.weight, task.combine) == ("conversion_units", "mean")
    leader = nd.leader_formula
    assert (leader.own_products, leader.unit_results, leader.organising) == (
        Decimal("0.5"),
        Decimal("0.25"),
        Decimal("0.25"),
    )
    assert (leader.unit_results_all_at_least_ht, leader.unit_results_any_kht) == (1, Decimal("0.5"))


def test_yaml_penalty_is_data_not_code(raw):
    data = copy.deepcopy(raw["VN-ND335-2025"])
    data["groups"][1]["products"]["quality"] = "weighted mean over done products of max(0, 1 - 0.3 * failed_reviews)"
    assert spec_from_dict(data).task_formula.quality_penalty == Decimal("0.3")


@pytest.mark.parametrize("code", CODES)
def test_unstated_values_come_from_defaults(specs, code):
    spec = specs[code]
    steps = {c.step for g in spec.groups for items in g.criteria.values() for c in items}
    assert steps == {Decimal(DEFAULTS["step"])}
    assert spec.quarterly == QuarterlyWeights(Decimal("0.6"), Decimal("0.2"), Decimal("0.2"))
    annual = spec.annual
    assert annual.levels == ("HTXS", "HTT", "HT", "KHT")
    assert annual.min_months_for_classification == 6
    assert (annual.off_work_cap_from, annual.off_work_cap_below, annual.off_work_cap_level) == (3, 6, "HT")
    assert (annual.disciplined_level, annual.not_classified) == ("KHT", "NOT_CLASSIFIED")
    assert (annual.quota.grade, annual.quota.base, annual.quota.ratio) == ("HTXS", "count_of_grade:HTT", Decimal("0.2"))
    assert annual.quota.scope == ("unit", "similar_task_group")


def test_quarterly_block_overrides_defaults(raw):
    data = {**raw["HN-3814-2018"], "quarterly": {"monthly_average": 0.5, "unit_result": 0.3}}
    assert spec_from_dict(data).quarterly == QuarterlyWeights(Decimal("0.5"), Decimal("0.3"), Decimal("0.2"))


@pytest.mark.parametrize("code", CODES)
def test_round_trip_through_json(specs, code):
    spec = specs[code]
    data = json.loads(json.dumps(spec_to_dict(spec)))
    again = spec_from_dict(data)
    assert again == spec
    assert hash(again) == hash(spec)
    assert spec_to_dict(again) == data


def test_round_trip_keeps_decimals_as_strings(hn):
    data = spec_to_dict(hn)
    assert data["scale_max"] == "100"
    assert data["quota"]["ratio"] == "0.3"
    assert data["groups"][0]["variants"]["STAFF"][0] == {
        "code": "KL1",
        "name_vi": hn.groups[0].criteria["STAFF"][0].name_vi,
        "max_points": "5",
        "step": "0.5",
    }
    assert data["overrides"][0]["threshold"] == "0.5"
    assert data["effective_from"] == "2018-07-01"


def test_round_trip_with_deductions_and_custom_step(hn):
    spec = replace(
        hn,
        deductions=(CriterionSpec("TR1", "Vi phạm", Decimal("5"), Decimal("1")),),
        quarterly=QuarterlyWeights(Decimal("0.7"), Decimal("0.3"), Decimal("0")),
    )
    assert spec_from_dict(json.loads(json.dumps(spec_to_dict(spec)))) == spec


@pytest.mark.parametrize("base", ["count_of_grade_HTT", "count_of_grade:HTT"])
def test_quota_base_spellings(raw, base):
    data = copy.deepcopy(raw["VN-ND335-2025"])
    data["quota"]["base"] = base
    assert spec_from_dict(data).quota.base == "count_of_grade:HTT"


def test_when_comparisons_are_parsed_generally(raw):
    data = copy.deepcopy(raw["HN-3814-2018"])
    data["overrides"] = [{"when": "late_days_gt_3", "max_grade": "B"}]
    (rule,) = spec_from_dict(data).overrides
    assert (rule.id, rule.flag, rule.operator, rule.threshold) == ("late_days_gt_3", "late_days", "gt", 3)


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("quality", "weighted mean over done products of max(0, 1 - 0.25 * failed_reviews ** 2)"),
        ("timeliness", "1 - 0.25 * delays"),
        ("quantity", "done_units / assigned_units"),
        ("combine", "60 * (quantity + quality + timeliness) / 3"),
        ("combine", "70 * max(quantity, quality, timeliness)"),
    ],
)
def test_unknown_product_formulas_are_refused(raw, where, value):
    data = copy.deepcopy(raw["VN-ND335-2025"])
    data["groups"][1]["products"][where] = value
    with pytest.raises(SpecError):
        spec_from_dict(data)


def test_unknown_leader_term_is_refused(raw):
    data = copy.deepcopy(raw["VN-ND335-2025"])
    data["groups"][1]["leader"]["combine"] = "0.5 * own_products + 0.5 * charisma"
    with pytest.raises(SpecError, match="charisma"):
        spec_from_dict(data)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("groups"),
        lambda d: d.pop("code"),
        lambda d: d["groups"][0]["criteria"][0].pop("max_points"),
        lambda d: d["grades"][0].update(min="chín mươi"),
        lambda d: d.update(effective_from="01/07/2018"),
        lambda d: d["overrides"][0].pop("max_grade"),
        lambda d: d["quota"].update(base="half_of_everyone"),
        lambda d: d["annual"].update(deadline="15/12"),
        lambda d: d["groups"][1].pop("variants"),
    ],
)
def test_malformed_data_raises_spec_error(raw, mutate):
    data = copy.deepcopy(raw["HN-3814-2018"])
    mutate(data)
    with pytest.raises(SpecError):
        spec_from_dict(data)


# --- validate_spec -----------------------------------------------------------------------------


def _with_criterion_max(spec, group_index, variant, criterion_index, new_max):
    group = spec.groups[group_index]
    items = list(group.criteria[variant])
    items[criterion_index] = replace(items[criterion_index], max_points=Decimal(new_max))
    criteria = FrozenMap({**group.criteria, variant: tuple(items)})
    groups = list(spec.groups)
    groups[group_index] = replace(group, criteria=criteria)
    return replace(spec, groups=tuple(groups))


def _assert_one_error(spec, *fragments):
    errors = validate_spec(spec)
    assert errors, "expected a validation error"
    assert any(all(f in e for f in fragments) for e in errors), errors


def test_criteria_must_sum_to_group_max(hn):
    spec = _with_criterion_max(hn, 1, "LEADER", 0, 25)
    _assert_one_error(spec, "NV", "LEADER", "65", "70")


def test_groups_must_sum_to_scale(hn):
    _assert_one_error(replace(hn, scale_max=Decimal(90)), "100", "90")


def test_bonus_group_counts_towards_scale(hn):
    spec = replace(hn, groups=hn.groups[:2])
    _assert_one_error(spec, "90", "100")


@pytest.mark.parametrize(
    ("bands", "fragment"),
    [
        ((("A", 90), ("B", 70), ("C", 70), ("D", 0)), "giảm dần"),
        ((("A", 70), ("B", 90), ("C", 50), ("D", 0)), "giảm dần"),
        ((("A", 90), ("A", 70), ("C", 50), ("D", 0)), "A bị trùng"),
        ((("A", 90), ("B", 70), ("C", 50), ("D", 10)), "từ 0 điểm"),
        ((("A", 110), ("B", 70), ("C", 50), ("D", 0)), "110"),
    ],
)
def test_band_rules(hn, bands, fragment):
    grades = tuple(GradeBand(code, Decimal(m), "") for code, m in bands)
    _assert_one_error(replace(hn, grades=grades), fragment)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"ratio": Decimal("1.2")}, "1.2"),
        ({"ratio": Decimal("-0.1")}, "-0.1"),
        ({"exception_ratio": Decimal("0.2")}, "0.2"),
        ({"exception_ratio": Decimal("1.5")}, "1.5"),
        ({"grade": "S"}, "S"),
        ({"rounding": "bankers"}, "bankers"),
        ({"scope": ("city",)}, "city"),
    ],
)
def test_quota_rules(hn, changes, fragment):
    _assert_one_error(replace(hn, quota=replace(hn.quota, **changes)), "Tỷ lệ khống chế", fragment)


def test_exception_ratio_equal_to_ratio_is_allowed(hn):
    assert validate_spec(replace(hn, quota=replace(hn.quota, exception_ratio=hn.quota.ratio))) == []


def test_override_target_must_exist(hn):
    bad = replace(hn.overrides[0], target="E")
    _assert_one_error(replace(hn, overrides=(bad, hn.overrides[1])), "worked_share_le_0_5", "E")


def test_override_threshold_matches_operator(hn):
    bad = replace(hn.overrides[1], threshold=Decimal(1))
    _assert_one_error(replace(hn, overrides=(hn.overrides[0], bad)), "disciplined_in_period")


def test_criterion_codes_unique_within_version(hn):
    kl, nv, th = hn.groups
    clash = replace(
        th, criteria=FrozenMap({v: (replace(items[0], code="KL1"), items[1]) for v, items in th.criteria.items()})
    )
    _assert_one_error(replace(hn, groups=(kl, nv, clash)), "KL1", "trùng")


def test_criterion_max_must_be_a_multiple_of_its_step(hn):
    spec = _with_criterion_max(hn, 0, "STAFF", 0, "5.25")
    _assert_one_error(spec, "KL1", "bội số")


def test_computed_group_needs_a_product_formula(nd):
    _assert_one_error(replace(nd, task_formula=None), "KQ", "sản phẩm")


def test_leader_weights_sum_to_one(nd):
    _assert_one_error(replace(nd, leader_formula=replace(nd.leader_formula, organising=Decimal("0.3"))), "lãnh đạo")


def test_quarterly_weights_sum_to_one(hn):
    weights = QuarterlyWeights(Decimal("0.6"), Decimal("0.2"), Decimal("0.3"))
    _assert_one_error(replace(hn, quarterly=weights), "quý")


def test_annual_map_covers_every_grade(hn):
    annual = replace(hn.annual, level_map=FrozenMap({"A": "HTXS", "B": "HTT", "C": "HT"}))
    _assert_one_error(replace(hn, annual=annual), "quy đổi")
