"""Dry-run scoring of one case under a published framework version (for HR and support).

    python manage.py kpi_score --input case.json      (or --input - to read standard input)

case.json: {"framework": "HN-3814-2018", "variant": "STAFF", "points": {"KL1": 5, ...},
            "task_results": {"quantity": 1, "quality": 0.9, "timeliness": 1},   (ND 335, optional)
            "products": {...}, "leader_inputs": {...}, "flags": {"worked_share": 0.4, ...}}
An ND 335 leader's `organising` and `any_subordinate_unit_KHT` may also stand in task_results (as the
forms keep them). The flag "disciplined": true stands for every discipline flag of the framework
(`disciplined_in_period` in HN-3814-2018, `disciplined_reprimand_or_higher_in_year` in VN-ND335-2025).
Prints one JSON object: total, grade, groups, overrides (rule ids) and the details.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpi import selectors
from kpi.scoring import ScoringError, score, split_leader_inputs

KNOWN_KEYS = {"framework", "variant", "points", "task_results", "products", "leader_inputs", "flags"}
ENGINE_FLAGS = {"any_subordinate_unit_KHT"}  # read by the leader formula, not by an override rule
DISCIPLINED = "disciplined"  # shorthand for the framework's own discipline flags


def load_case(source: str) -> dict:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"Không đọc được tệp {source}: {error}") from error
    try:
        case = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"Tệp {source} không phải JSON hợp lệ: {error}") from error
    if not isinstance(case, dict):
        raise CommandError("Nội dung phải là một đối tượng JSON {framework, variant, points, ...}.")
    unknown = sorted(set(case) - KNOWN_KEYS)
    if unknown:
        raise CommandError(f"Khóa không hợp lệ: {', '.join(unknown)} (dùng {', '.join(sorted(KNOWN_KEYS))}).")
    for key in ("framework", "variant", "points"):
        if key not in case:
            raise CommandError(f"Thiếu khóa “{key}”.")
    return case


def published_spec(code):
    version = selectors.framework_version_published(code=str(code))
    if version is None:
        raise CommandError(f"Không có khung tiêu chí đã ban hành với mã “{code}”.")
    return version.spec


class Command(BaseCommand):
    help = "Score one sample case under a published framework version and print the result as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True, help="JSON file with the case ('-' for standard input).")

    def handle(self, *args, **options):
        case = load_case(options["input"])
        spec = published_spec(case["framework"])
        flags = case.get("flags") or {}
        if not isinstance(flags, dict):
            raise CommandError("flags: cần một bảng tên cờ → giá trị.")
        if DISCIPLINED in flags:
            discipline = [r.flag for r in spec.overrides if r.flag.startswith(DISCIPLINED) and r.operator == "is_true"]
            value = flags.pop(DISCIPLINED)
            for flag in discipline:
                flags.setdefault(flag, value)
        known = {rule.flag for rule in spec.overrides} | ENGINE_FLAGS
        ignored = sorted(set(flags) - known)
        if ignored:
            self.stderr.write(
                f"Cảnh báo: khung {spec.code} không dùng cờ {', '.join(ignored)} "
                f"(các cờ có tác dụng: {', '.join(sorted(known))})."
            )
        try:
            task_results, leader_inputs = case.get("task_results"), case.get("leader_inputs")
            if leader_inputs is None and isinstance(task_results, dict):
                task_results, leader_inputs = split_leader_inputs(
                    spec, variant=str(case["variant"]), task_results=task_results
                )
            result = score(
                spec,
                variant=str(case["variant"]),
                points=case["points"],
                task_results=task_results,
                products=case.get("products"),
                flags=flags,
                leader_inputs=leader_inputs,
            )
        except ScoringError as error:
            raise CommandError(f"{error.field}: {error}") from error
        except (TypeError, ValueError, ArithmeticError) as error:
            raise CommandError(f"Không tính được điểm: {error}") from error
        details = result.as_dict()
        output = {
            "framework": spec.code,
            "variant": case["variant"],
            "total": details["total"],
            "grade": details["grade"],
            "grade_label": spec.band(result.grade).label_vi,
            "grade_before_overrides": details["grade_before_overrides"],
            "groups": details["groups"],
            "criteria": details["criteria"],
            "deductions": details["deductions"],
            "overrides": [rule_id for rule_id, _ in result.overrides],
            "override_reasons": details["overrides"],
            "task_shares": details["task_shares"],
            "ignored_flags": ignored,
        }
        self.stdout.write(json.dumps(output, ensure_ascii=False, indent=2))
