from __future__ import annotations

import pytest

from evaluation import services
from evaluation.models import Evaluation

STAFF_FULL = {"KL1": 5, "KL2": 5, "KL3": 5, "KL4": 5, "NV1": 30, "NV2": 25, "NV3": 15, "TH1": 5, "TH2": 5}
LEADER_FULL = {"KL1": 5, "KL2": 5, "KL3": 5, "KL4": 5, "LD1": 30, "LD2": 20, "LD3": 20, "TH1": 5, "TH2": 5}


def staff_points(total_nv: int = 70, bonus: int = 0) -> dict:
    """HN-3814 STAFF points: 20 discipline + `total_nv` duties + `bonus`."""
    nv1 = min(30, total_nv)
    nv2 = min(25, total_nv - nv1)
    nv3 = total_nv - nv1 - nv2
    return {
        "KL1": 5,
        "KL2": 5,
        "KL3": 5,
        "KL4": 5,
        "NV1": nv1,
        "NV2": nv2,
        "NV3": nv3,
        "TH1": min(5, bonus),
        "TH2": max(0, bonus - 5),
    }


@pytest.fixture
def period_2025(org):
    """November 2025: everyone on HN-3814-2018."""
    period, _ = services.period_open(year=2025, month=11)
    return period


def form_of(org, key, period) -> Evaluation:
    return Evaluation.objects.get(period=period, person=org.people[key])
