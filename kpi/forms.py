"""Forms for HR: copy a version, edit it (numbers, labels, added and removed rows), preview a sample case, publish.

Field checks here are about input (a number, a date); whether the framework holds together (criteria
add up to their group, bands cover the scale, ratios in 0–1 …) is `kpi.spec.validate_spec`, run by
the services, whose Vietnamese messages the views show on the form.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kpi.models import FrameworkVersion
from kpi.scoring import TASK_SHARES, ScoringError
from kpi.selectors import OPERATOR_SIGNS, VARIANT_LABELS, group_blocks
from kpi.spec import BASE_RATED, DEFAULTS, LEADER, ROUNDINGS, SCOPE_SIMILAR_TASK_GROUP, SCOPE_UNIT, FrameworkSpec
from orgchart.models import SubjectGroup

ALL_VARIANTS = "ALL"
COUNT_OF_GRADE = "count_of_grade:"
CODE_RE = re.compile(r"^[A-Z][A-Z0-9_.-]{0,19}$")
ROUNDING_LABELS = {
    "floor": _("Round down (floor)"),
    "round": _("Round to the nearest"),
    "ceil": _("Round up (ceiling)"),
}
SCOPE_LABELS = {
    SCOPE_UNIT: _("Each unit"),
    SCOPE_SIMILAR_TASK_GROUP: _("Each group of similar tasks within a unit"),
}


def plain(value: Any) -> Decimal:
    """A Decimal without trailing zeros or exponent (30.00 → 30, 0.50 → 0.5), for form inputs."""
    value = Decimal(str(value))
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _number_attrs(size: int = 6) -> dict[str, Any]:
    return {"inputmode": "decimal", "size": size, "class": "num"}


class NumberField(forms.DecimalField):
    """A decimal typed the Vietnamese way (0,5) or with a dot (0.5)."""

    def __init__(self, *, required: bool = True, size: int = 6, **kwargs):
        super().__init__(required=required, localize=True, **kwargs)
        self.widget.attrs.update(_number_attrs(size))


class PercentField(NumberField):
    """A share in 0..1 typed as a percentage (30 → 0.3)."""

    def clean(self, value):
        number = super().clean(value)
        return None if number is None else number / 100


def percent_initial(share: Any) -> Decimal | None:
    return None if share is None else plain(Decimal(str(share)) * 100)


def _put(target: dict[str, Any], key: str, value: Decimal | None) -> None:
    """Write a number as a string unless it equals the stored one (keeps the audit diff to real changes)."""
    old = target.get(key)
    if value is None:
        target[key] = None
        return
    if old is not None and not isinstance(old, bool):
        try:
            if Decimal(str(old)) == value:
                return
        except ArithmeticError:
            pass
    target[key] = str(plain(value))


class CopyForm(forms.Form):
    code = forms.CharField(
        label=_("Code of the new version"),
        max_length=40,
        help_text=_("For example HN-3814-2027. Capital letters, digits, dots and hyphens."),
    )

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()


class PublishForm(forms.Form):
    effective_from = forms.DateField(
        label=_("In force from"), localize=True, help_text=_("The first day of a month, dd/mm/yyyy.")
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DefinitionForm(forms.Form):
    """One row per criterion (name, maximum points, step) per group and variant, and the other numbers."""

    revision = forms.IntegerField(widget=forms.HiddenInput)
    name_vi = forms.CharField(label=_("Name"), max_length=300)
    legal_ref = forms.CharField(label=_("Legal basis"), max_length=500, required=False)
    applies_to = forms.MultipleChoiceField(
        label=_("Applies to"), choices=SubjectGroup.choices, widget=forms.CheckboxSelectMultiple
    )
    period = forms.ChoiceField(label=_("Period"), choices=FrameworkVersion.Period.choices)
    scale_max = NumberField(label=_("Scale (maximum points)"))

    def __init__(self, *args, version: FrameworkVersion, **kwargs):
        self.version = version
        self.spec: FrameworkSpec = version.spec
        spec = self.spec
        initial = {
            "revision": version.revision,
            "name_vi": spec.name_vi,
            "legal_ref": spec.legal_ref,
            "applies_to": list(spec.applies_to),
            "period": spec.period,
            "scale_max": plain(spec.scale_max),
        }
        super().__init__(*args, initial=initial, **kwargs)
        self._new_prefixes: list[str] = []
        self.general_fields = [self[name] for name in ("name_vi", "legal_ref", "applies_to", "period", "scale_max")]
        self.group_rows: list[dict[str, Any]] = []
        for i, group in enumerate(spec.groups):
            self._add(f"g{i}_name", forms.CharField(label=_("Group name"), max_length=300), group.name_vi)
            self._add(f"g{i}_max", NumberField(label=_("Maximum points")), plain(group.max_points))
            blocks = []
            for block in group_blocks(group, spec.variants):
                key = block.variant or ALL_VARIANTS
                rows = []
                for j, criterion in enumerate(block.criteria):
                    prefix = f"c{i}_{key}_{j}"
                    rows.append(self._criterion_fields(prefix, criterion))
                blocks.append(
                    {
                        "variant": block.variant,
                        "label": VARIANT_LABELS.get(block.variant, ""),
                        "rows": rows,
                        "new": self._new_criterion_fields(f"n{i}_{key}"),
                    }
                )
            self.group_rows.append(
                {"group": group, "name": self[f"g{i}_name"], "max": self[f"g{i}_max"], "blocks": blocks}
            )
        self.deduction_rows = [self._criterion_fields(f"d{j}", d) for j, d in enumerate(spec.deductions)]
        self.deduction_new = self._new_criterion_fields("nd")
        levels = [(level, level) for level in spec.annual.levels]
        self.band_rows = []
        for k, band in enumerate(spec.grades):
            self._add(f"b{k}_code", forms.CharField(label=_("Code"), max_length=20), band.code)
            self._add(f"b{k}_min", NumberField(label=_("From (points)")), plain(band.min))
            self._add(f"b{k}_label", forms.CharField(label=_("Label"), max_length=200), band.label_vi)
            self._add(
                f"b{k}_annual",
                forms.ChoiceField(label=_("Counts in the year as"), choices=levels),
                spec.annual.level_map.get(band.code),
            )
            self._add(f"b{k}_remove", forms.BooleanField(label=_("Remove"), required=False), False)
            self.band_rows.append({name: self[f"b{k}_{name}"] for name in ("code", "min", "label", "annual", "remove")})
        self._add("nb_code", forms.CharField(label=_("Code"), max_length=20, required=False), "")
        self._add("nb_min", NumberField(label=_("From (points)"), required=False), None)
        self._add("nb_label", forms.CharField(label=_("Label"), max_length=200, required=False), "")
        self._add(
            "nb_annual",
            forms.ChoiceField(label=_("Counts in the year as"), choices=[("", "—"), *levels], required=False),
            "",
        )
        self.band_new = {name: self[f"nb_{name}"] for name in ("code", "min", "label", "annual")}
        self.override_rows = []
        for k, rule in enumerate(spec.overrides):
            row: dict[str, Any] = {"rule": rule, "threshold": None, "sign": OPERATOR_SIGNS.get(rule.operator, "")}
            if rule.threshold is not None:
                self._add(f"o{k}_threshold", NumberField(label=_("Threshold")), plain(rule.threshold))
                row["threshold"] = self[f"o{k}_threshold"]
            self._add(f"o{k}_target", forms.CharField(label=_("Grade"), max_length=20), rule.target)
            row["target"] = self[f"o{k}_target"]
            self.override_rows.append(row)
        self.quota_fields = []
        if spec.quota is not None:
            quota = spec.quota
            # Typed, like an override's target: a band added in the same save can be named.
            self._add(
                "q_grade",
                forms.CharField(
                    label=_("Grade with a quota"),
                    max_length=20,
                    help_text=_("The code of the highest grade, e.g. A or HTXS."),
                ),
                quota.grade,
            )
            bases = [(BASE_RATED, _("the people rated"))]
            bases += [
                (COUNT_OF_GRADE + band.code, _("the people rated %(code)s") % {"code": band.code})
                for band in spec.grades
            ]
            self._add("q_base", forms.ChoiceField(label=_("Share of"), choices=bases), quota.base)
            self._add(
                "q_scope",
                forms.MultipleChoiceField(
                    label=_("Counted in"), choices=list(SCOPE_LABELS.items()), widget=forms.CheckboxSelectMultiple
                ),
                list(quota.scope),
            )
            self._add("q_ratio", PercentField(label=_("Share allowed (%)")), percent_initial(quota.ratio))
            self._add(
                "q_exception",
                PercentField(label=_("Exceptional share (%)"), required=False),
                percent_initial(quota.exception_ratio),
            )
            self._add(
                "q_rounding",
                forms.ChoiceField(label=_("Rounding"), choices=[(r, ROUNDING_LABELS.get(r, r)) for r in ROUNDINGS]),
                quota.rounding,
            )
            self._add(
                "q_small_below",
                forms.IntegerField(label=_("Small group: at most (people)"), min_value=0),
                quota.small_group_below,
            )
            self._add(
                "q_small_allowed",
                forms.IntegerField(label=_("Small group: allowed"), min_value=0),
                quota.small_group_allowed,
            )
            self.quota_fields = [
                self[n]
                for n in (
                    "q_grade",
                    "q_base",
                    "q_scope",
                    "q_ratio",
                    "q_exception",
                    "q_rounding",
                    "q_small_below",
                    "q_small_allowed",
                )
            ]
        annual = spec.annual
        self._add(
            "a_min_months",
            NumberField(label=_("Months evaluated needed to be classified")),
            plain(annual.min_months_for_classification),
        )
        self._add(
            "a_quota_ratio",
            PercentField(
                label=_("Share of %(grade)s allowed, of the people at %(base)s (%%)")
                % {"grade": annual.quota.grade, "base": annual.quota.base_grade or _("any level")}
            ),
            percent_initial(annual.quota.ratio),
        )
        self.annual_fields = [self["a_min_months"], self["a_quota_ratio"]]
        weights = spec.quarterly
        labels = {
            "monthly_average": _("Average of the monthly scores (%)"),
            "unit_result": _("Result of the unit (%)"),
            "sector_assessment": _("Sector assessment (%)"),
        }
        for name, label in labels.items():
            self._add(f"w_{name}", PercentField(label=label), percent_initial(getattr(weights, name)))
        self.weight_fields = [self[f"w_{n}"] for n in labels]
        self.task_fields = []
        if spec.task_formula is not None:
            task_labels = {
                "quantity_cap": _("Quantity: cap (%)"),
                "quality_penalty": _("Quality lost per failed review (%)"),
                "timeliness_penalty": _("Timeliness lost per delay (%)"),
            }
            for name, label in task_labels.items():
                self._add(f"t_{name}", PercentField(label=label), percent_initial(getattr(spec.task_formula, name)))
            self.task_fields = [self[f"t_{n}"] for n in task_labels]
        self.leader_fields = []
        if spec.leader_formula is not None:
            leader_labels = {
                "own_products": _("Weight: own products (%)"),
                "unit_results": _("Weight: results of the unit (%)"),
                "organising": _("Weight: organising (%)"),
                "unit_results_all_at_least_ht": _("Unit results when every sub-unit is at least HT (%)"),
                "unit_results_any_kht": _("Unit results when a sub-unit is KHT (%)"),
            }
            for name, label in leader_labels.items():
                self._add(f"l_{name}", PercentField(label=label), percent_initial(getattr(spec.leader_formula, name)))
            self.leader_fields = [self[f"l_{n}"] for n in leader_labels]

    def _add(self, name: str, field: forms.Field, initial: Any) -> None:
        self.fields[name] = field
        self.initial[name] = initial

    def _criterion_fields(self, prefix: str, criterion) -> dict[str, Any]:
        self._add(f"{prefix}_name", forms.CharField(label=_("Criterion"), max_length=500), criterion.name_vi)
        self._add(f"{prefix}_max", NumberField(label=_("Maximum points")), plain(criterion.max_points))
        self._add(f"{prefix}_step", NumberField(label=_("Step")), plain(criterion.step))
        self._add(f"{prefix}_remove", forms.BooleanField(label=_("Remove"), required=False), False)
        return {
            "code": criterion.code,
            "name": self[f"{prefix}_name"],
            "max": self[f"{prefix}_max"],
            "step": self[f"{prefix}_step"],
            "remove": self[f"{prefix}_remove"],
        }

    def _new_criterion_fields(self, prefix: str) -> dict[str, Any]:
        """An empty row to add a criterion (or a deduction); left blank, it adds nothing."""
        self._add(f"{prefix}_code", forms.CharField(label=_("New code"), max_length=20, required=False), "")
        self._add(f"{prefix}_name", forms.CharField(label=_("Criterion"), max_length=500, required=False), "")
        self._add(f"{prefix}_max", NumberField(label=_("Maximum points"), required=False), None)
        self._add(
            f"{prefix}_step",
            NumberField(label=_("Step"), required=False),
            plain(DEFAULTS["step"]),
        )
        self._new_prefixes.append(prefix)
        return {name: self[f"{prefix}_{name}"] for name in ("code", "name", "max", "step")}

    def clean(self):
        """A new row is all or nothing: a code, a name and the maximum points (bands: code, points, label, level)."""
        data = super().clean()
        required = _("Fill this in to add the row, or leave the whole row blank.")
        for prefix in self._new_prefixes:
            names = [f"{prefix}_code", f"{prefix}_name", f"{prefix}_max"]
            if any(data.get(name) not in (None, "") for name in names):
                for name in names:
                    if data.get(name) in (None, "") and name not in self.errors:
                        self.add_error(name, required)
                self._check_code(f"{prefix}_code")
        names = ["nb_code", "nb_min", "nb_label", "nb_annual"]
        if any(data.get(name) not in (None, "") for name in names):
            for name in names:
                if data.get(name) in (None, "") and name not in self.errors:
                    self.add_error(name, required)
            self._check_code("nb_code")
        return data

    def _check_code(self, name: str) -> None:
        code = (self.cleaned_data.get(name) or "").strip()
        if code and not CODE_RE.match(code):
            self.add_error(
                name,
                _("A code is a capital letter followed by capital letters, digits, “_”, “.” or “-” (at most 20)."),
            )

    def _new_criterion(self, prefix: str) -> dict[str, Any] | None:
        data = self.cleaned_data
        code = (data.get(f"{prefix}_code") or "").strip()
        if not code:
            return None
        step = data.get(f"{prefix}_step")
        return {
            "code": code,
            "name_vi": data[f"{prefix}_name"].strip(),
            "max_points": str(plain(data[f"{prefix}_max"])),
            "step": str(plain(step if step is not None else Decimal(DEFAULTS["step"]))),
        }

    def _kept(self, items: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
        return [item for j, item in enumerate(items) if not self.cleaned_data.get(f"{prefix}{j}_remove")]

    def _write_criterion(self, target: dict[str, Any], prefix: str) -> None:
        data = self.cleaned_data
        target["name_vi"] = data[f"{prefix}_name"].strip()
        _put(target, "max_points", data[f"{prefix}_max"])
        _put(target, "step", data[f"{prefix}_step"])

    def definition(self) -> dict[str, Any]:
        """The version's stored definition with this form's values written over it."""
        data = self.cleaned_data
        spec = self.spec
        result = copy.deepcopy(self.version.definition)
        result["name_vi"] = data["name_vi"].strip()
        result["legal_ref"] = data["legal_ref"].strip()
        result["applies_to"] = list(data["applies_to"])
        result["period"] = data["period"]
        _put(result, "scale_max", data["scale_max"])
        for i, group in enumerate(spec.groups):
            target = result["groups"][i]
            target["name_vi"] = data[f"g{i}_name"].strip()
            _put(target, "max_points", data[f"g{i}_max"])
            for block in group_blocks(group, spec.variants):
                key = block.variant or ALL_VARIANTS
                variants = [block.variant] if block.variant else list(target["variants"])
                new = self._new_criterion(f"n{i}_{key}")
                for variant in variants:
                    items = target["variants"][variant]
                    for j in range(len(block.criteria)):
                        self._write_criterion(items[j], f"c{i}_{key}_{j}")
                    items[:] = self._kept(items, f"c{i}_{key}_")
                    if new is not None:
                        items.append(dict(new))
        deductions = result.setdefault("deductions", [])
        for j in range(len(spec.deductions)):
            self._write_criterion(deductions[j], f"d{j}")
        deductions[:] = self._kept(deductions, "d")
        new = self._new_criterion("nd")
        if new is not None:
            deductions.append(new)
        old_codes = [band.code for band in spec.grades]
        renamed: dict[str, str] = {}
        level_map: dict[str, str] = {}
        for k, target in enumerate(result["grades"]):
            code = data[f"b{k}_code"].strip()
            renamed[old_codes[k]] = code
            target["code"] = code
            _put(target, "min", data[f"b{k}_min"])
            target["label_vi"] = data[f"b{k}_label"].strip()
            if not data.get(f"b{k}_remove"):
                level_map[code] = data[f"b{k}_annual"]
        if spec.quota is not None:
            result["quota"]["grade"] = data["q_grade"].strip()
            result["quota"]["base"] = data["q_base"]
            result["quota"]["scope"] = [scope for scope in SCOPE_LABELS if scope in data["q_scope"]]
        self._rename_grades(result, renamed)
        result["grades"] = self._kept(result["grades"], "b")
        if data.get("nb_code"):
            code = data["nb_code"].strip()
            result["grades"].append(
                {"code": code, "min": str(plain(data["nb_min"])), "label_vi": data["nb_label"].strip()}
            )
            level_map[code] = data["nb_annual"]
        # Highest first, as the engine reads them; a new band may be typed in any row.
        result["grades"].sort(key=lambda band: Decimal(str(band["min"])), reverse=True)
        annual = result["annual"]
        if level_map != annual.get("level_map"):
            annual["level_map"] = level_map
        _put(annual, "min_months_for_classification", data["a_min_months"])
        _put(annual["quota"], "ratio", data["a_quota_ratio"])
        for k, target in enumerate(result["overrides"]):
            if f"o{k}_threshold" in data:
                _put(target, "threshold", data[f"o{k}_threshold"])
            value = data[f"o{k}_target"].strip()
            target["target"] = renamed.get(value, value) if value == spec.overrides[k].target else value
        if spec.quota is not None:
            quota = result["quota"]
            _put(quota, "ratio", data["q_ratio"])
            if data["q_exception"] is None:
                quota["exception"] = None
            else:
                exception = quota.get("exception") or {"requires_justification": True}
                _put(exception, "ratio", data["q_exception"])
                quota["exception"] = exception
            quota["rounding"] = data["q_rounding"]
            quota["small_group"] = {"below": data["q_small_below"], "allowed": data["q_small_allowed"]}
        for name in ("monthly_average", "unit_result", "sector_assessment"):
            _put(result["quarterly"], name, data[f"w_{name}"])
        if spec.task_formula is not None:
            for name in ("quantity_cap", "quality_penalty", "timeliness_penalty"):
                _put(result["task_formula"], name, data[f"t_{name}"])
        if spec.leader_formula is not None:
            for name in result["leader_formula"]:
                _put(result["leader_formula"], name, data[f"l_{name}"])
        return result

    @staticmethod
    def _rename_grades(result: dict[str, Any], renamed: dict[str, str]) -> None:
        """A renamed band keeps its place in the quota (the annual mapping is rebuilt from the form)."""
        renamed = {old: new for old, new in renamed.items() if old != new}
        if not renamed:
            return
        quota = result.get("quota")
        if quota:
            quota["grade"] = renamed.get(quota["grade"], quota["grade"])
            if quota["base"].startswith(COUNT_OF_GRADE):
                base = quota["base"].removeprefix(COUNT_OF_GRADE)
                quota["base"] = COUNT_OF_GRADE + renamed.get(base, base)


class PreviewForm(forms.Form):
    """A sample case for `kpi.scoring.score`: variant, points, task results and the override flags."""

    variant = forms.ChoiceField(label=_("Variant"))

    def __init__(self, *args, spec: FrameworkSpec, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        self.fields["variant"].choices = [(v, VARIANT_LABELS.get(v, v)) for v in spec.variants]
        self.point_rows = []
        seen: set[str] = set()
        for group in spec.groups:
            for block in group_blocks(group, spec.variants):
                for criterion in block.criteria:
                    if criterion.code in seen:
                        continue
                    seen.add(criterion.code)
                    name = f"p_{criterion.code}"
                    self.fields[name] = NumberField(label=criterion.code, required=False, size=5)
                    self.point_rows.append(
                        {"criterion": criterion, "group": group, "variant": block.variant, "field": self[name]}
                    )
        for deduction in spec.deductions:
            name = f"p_{deduction.code}"
            self.fields[name] = NumberField(label=deduction.code, required=False, size=5)
            self.point_rows.append({"criterion": deduction, "group": None, "variant": None, "field": self[name]})
        self.task_fields = []
        if any(group.is_computed for group in spec.groups):
            labels = {"quantity": _("Quantity (%)"), "quality": _("Quality (%)"), "timeliness": _("Timeliness (%)")}
            for name in TASK_SHARES:
                self.fields[name] = PercentField(label=labels[name], required=False, size=5)
            self.task_fields = [self[name] for name in TASK_SHARES]
        self.leader_fields = []
        if spec.leader_formula is not None:
            self.fields["organising"] = PercentField(
                label=_("Leaders: organising, assessed by the decider (%)"), required=False, size=5
            )
            self.fields["any_subordinate_unit_KHT"] = forms.BooleanField(
                label=_("Leaders: a sub-unit did not complete its tasks (KHT)"), required=False
            )
            self.leader_fields = [self["organising"], self["any_subordinate_unit_KHT"]]
        self.flag_fields = []
        flags: dict[str, Any] = {}
        for rule in spec.overrides:
            flags.setdefault(rule.flag, rule)
        for flag, rule in flags.items():
            label = rule.label_vi or flag
            if rule.operator == "is_true":
                field: forms.Field = forms.BooleanField(label=label, required=False)
            else:
                field = NumberField(label=label, required=False, size=5)
                field.help_text = _("A number, e.g. 0,4 for 40%.")
            self.fields[f"f_{flag}"] = field
            self.flag_fields.append(self[f"f_{flag}"])

    def case(self) -> dict[str, Any]:
        """Keyword arguments for `kpi.scoring.score` (besides the spec)."""
        data = self.cleaned_data
        variant = data["variant"]
        wanted = {c.code for g in self.spec.groups for c in g.criteria_for(variant)} | {
            d.code for d in self.spec.deductions
        }
        points = {code: data[f"p_{code}"] for code in wanted if data.get(f"p_{code}") is not None}
        case: dict[str, Any] = {"variant": variant, "points": points}
        if self.task_fields:
            case["task_results"] = {name: data[name] for name in TASK_SHARES if data.get(name) is not None}
        if self.leader_fields and variant == LEADER:
            leader_inputs: dict[str, Any] = {"any_subordinate_unit_KHT": data["any_subordinate_unit_KHT"]}
            if data.get("organising") is not None:
                leader_inputs["organising"] = data["organising"]
            case["leader_inputs"] = leader_inputs
        flags: dict[str, Any] = {}
        for bound in self.flag_fields:
            value = data.get(bound.name)
            if value is not None and value is not False:
                flags[bound.name.removeprefix("f_")] = value
        case["flags"] = flags
        return case

    def add_scoring_error(self, error: ScoringError) -> None:
        """Show the engine's message on the field it names (criterion code, share or flag)."""
        for name in (f"p_{error.field}", error.field, f"f_{error.field}"):
            if name in self.fields:
                self.add_error(name, str(error))
                return
        self.add_error(None, str(error))
