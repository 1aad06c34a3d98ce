"""Properties of scoring and quotas over generated inputs (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.quota import check_quota
from kpi.scoring import criteria_for, grade_for_total, score
from kpi.spec import QuotaRule

SETTINGS = settings(max_examples=150, deadline=None, database=None)
SHARE = st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n) / 10_000)


def rank(spec, grade):
    return spec.band(grade).min


def draw_points(data, spec, variant):
    return {
        c.code: c.step * data.draw(st.integers(min_value=0, max_value=int(c.max_points / c.step)), label=c.code)
        for c in criteria_for(spec, variant)
    }


def draw_task_inputs(data, spec, variant):
    """task_results (and leader_inputs) for versions with a computed group; nothing otherwise."""
    if not any(g.is_computed for g in spec.groups):
        return {}
    inputs = {"task_results": {k: data.draw(SHARE, label=k) for k in ("quantity", "quality", "timeliness")}}
    if variant == "LEADER" and spec.leader_formula is not None:
        inputs["leader_inputs"] = {
            "organising": data.draw(SHARE, label="organising"),
            "any_subordinate_unit_KHT": data.draw(st.booleans(), label="any_kht"),
        }
    return inputs


def draw_flags(data, spec):
    flags = {}
    for rule in spec.overrides:
        if rule.operator == "is_true":
            flags[rule.flag] = data.draw(st.booleans(), label=rule.flag)
        else:
            flags[rule.flag] = data.draw(SHARE, label=rule.flag)
    return flags


def draw_case(data, specs):
    spec = specs[data.draw(st.sampled_from(sorted(specs)), label="framework")]
    variant = data.draw(st.sampled_from(spec.variants), label="variant")
    return spec, variant, draw_points(data, spec, variant), draw_task_inputs(data, spec, variant)


@SETTINGS
@given(data=st.data())
def test_total_stays_within_the_scale(specs, data):
    spec, variant, points, inputs = draw_case(data, specs)
    result = score(spec, variant=variant, points=points, flags=draw_flags(data, spec), **inputs)
    assert 0 <= result.total <= spec.scale_max
    assert result.total == sum(result.groups.values())
    for group in spec.groups:
        assert 0 <= result.groups[group.code] <= group.max_points


@SETTINGS
@given(data=st.data())
def test_raising_a_criterion_never_lowers_the_grade(specs, data):
    spec, variant, points, inputs = draw_case(data, specs)
    flags = draw_flags(data, spec)
    criterion = data.draw(st.sampled_from(criteria_for(spec, variant)), label="raised")
    steps_left = int((criterion.max_points - points[criterion.code]) / criterion.step)
    raised = {**points, criterion.code: points[criterion.code] + criterion.step * data.draw(st.integers(0, steps_left))}
    before = score(spec, variant=variant, points=points, flags=flags, **inputs)
    after = score(spec, variant=variant, points=raised, flags=flags, **inputs)
    assert after.total >= before.total
    assert rank(spec, after.grade) >= rank(spec, before.grade)
    assert rank(spec, after.grade_before_overrides) >= rank(spec, before.grade_before_overrides)


@SETTINGS
@given(data=st.data())
def test_raising_a_task_share_never_lowers_the_grade(nd, data):
    variant = data.draw(st.sampled_from(nd.variants))
    points = draw_points(data, nd, variant)
    inputs = draw_task_inputs(data, nd, variant)
    key = data.draw(st.sampled_from(["quantity", "quality", "timeliness"]))
    raised = {**inputs, "task_results": {**inputs["task_results"], key: data.draw(SHARE)}}
    if raised["task_results"][key] < inputs["task_results"][key]:
        inputs, raised = raised, inputs
    before = score(nd, variant=variant, points=points, **inputs)
    after = score(nd, variant=variant, points=points, **raised)
    assert after.total >= before.total
    assert rank(nd, after.grade) >= rank(nd, before.grade)


@SETTINGS
@given(
    data=st.data(),
    first=st.integers(min_value=0, max_value=100_000),
    second=st.integers(min_value=0, max_value=100_000),
)
def test_grade_is_monotone_in_the_total(specs, data, first, second):
    spec = specs[data.draw(st.sampled_from(sorted(specs)))]
    low, high = sorted((Decimal(first) / 1000, Decimal(second) / 1000))
    assert rank(spec, grade_for_total(spec, low)) <= rank(spec, grade_for_total(spec, high))


@SETTINGS
@given(data=st.data())
def test_overrides_only_ever_lower_the_grade(specs, data):
    spec, variant, points, inputs = draw_case(data, specs)
    plain = score(spec, variant=variant, points=points, **inputs)
    flagged = score(spec, variant=variant, points=points, flags=draw_flags(data, spec), **inputs)
    assert flagged.grade_before_overrides == plain.grade == plain.grade_before_overrides
    assert flagged.total == plain.total
    assert rank(spec, flagged.grade) <= rank(spec, plain.grade)
    if flagged.grade != plain.grade:
        assert flagged.overrides


def _brute_force_allowed(ratio: Fraction, base: int, rounding: str) -> int:
    exact = ratio * base
    candidates = range(base + 2)
    if rounding == "floor":
        return max(n for n in candidates if n <= exact)
    if rounding == "ceil":
        return min(n for n in candidates if n >= exact)
    return min(candidates, key=lambda n: (abs(n - exact), -n))  # nearest, halves upwards


@SETTINGS
@given(
    grades=st.lists(st.sampled_from(["A", "B", "C", "D", None]), max_size=40),
    ratio_pct=st.integers(min_value=0, max_value=100),
    rounding=st.sampled_from(["floor", "round", "ceil"]),
    base=st.sampled_from(["rated_in_unit", "count_of_grade:B"]),
    below=st.integers(min_value=0, max_value=8),
    small_allowed=st.integers(min_value=0, max_value=3),
)
def test_check_quota_agrees_with_brute_force(grades, ratio_pct, rounding, base, below, small_allowed):
    rule = QuotaRule(
        grade="A",
        base=base,
        ratio=Decimal(ratio_pct) / 100,
        rounding=rounding,
        small_group_below=below,
        small_group_allowed=small_allowed,
    )
    result = check_quota(rule, grades)
    rated = [g for g in grades if g is not None]
    count = sum(1 for g in rated if g == "A")
    base_n = len(rated) if base == "rated_in_unit" else sum(1 for g in rated if g == "B")
    allowed = _brute_force_allowed(Fraction(ratio_pct, 100), base_n, rounding)
    if len(rated) < below:
        allowed = max(allowed, small_allowed)
    assert (result.count, result.base, result.allowed, result.ok) == (count, base_n, allowed, count <= allowed)
