"""The two framework versions the repository ships, read from `kpi/frameworks/`; no database needed."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from kpi.scoring import criteria_for
from kpi.spec import FrameworkSpec, spec_from_dict

FRAMEWORKS_DIR = Path(__file__).resolve().parents[2] / "kpi" / "frameworks"
CODES = ("HN-3814-2018", "VN-ND335-2025")


def load_yaml(code: str) -> dict:
    return yaml.safe_load((FRAMEWORKS_DIR / f"{code}.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def raw() -> dict[str, dict]:
    """The parsed YAML of each version (copy before changing it)."""
    return {code: load_yaml(code) for code in CODES}


@pytest.fixture(scope="session")
def specs(raw) -> dict[str, FrameworkSpec]:
    return {code: spec_from_dict(data) for code, data in raw.items()}


@pytest.fixture(scope="session")
def hn(specs) -> FrameworkSpec:
    return specs["HN-3814-2018"]


@pytest.fixture(scope="session")
def nd(specs) -> FrameworkSpec:
    return specs["VN-ND335-2025"]


def fill_points(spec: FrameworkSpec, variant: str, total: Decimal | str | int) -> dict[str, Decimal]:
    """Points for the hand-scored criteria that add up to `total`, filling criteria in form order."""
    left = Decimal(total)
    points = {}
    for criterion in criteria_for(spec, variant):
        given = min(left, criterion.max_points)
        points[criterion.code] = given
        left -= given
    assert left == 0, f"{total} is above what the hand-scored criteria of {spec.code} allow"
    return points


@pytest.fixture(scope="session")
def fill() -> Callable[..., dict[str, Decimal]]:
    return fill_points
