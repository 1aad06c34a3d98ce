"""fixtures/frameworks.json: the two reference versions as a Django fixture, equal to the migration's."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from kpi.models import FrameworkVersion
from kpi.spec import validate_spec

pytestmark = pytest.mark.django_db

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "frameworks.json"
FIELDS = ("name_vi", "legal_ref", "effective_from", "applies_to", "period", "status", "definition")


def snapshot() -> dict[str, dict]:
    return {v.code: {f: getattr(v, f) for f in FIELDS} for v in FrameworkVersion.objects.order_by("code")}


def test_fixture_loads_into_an_empty_table_with_the_migrations_definitions():
    migrated = snapshot()
    FrameworkVersion.objects.all().delete()
    call_command("loaddata", str(FIXTURE), verbosity=0)
    loaded = snapshot()
    assert loaded == migrated
    for version in FrameworkVersion.objects.all():
        assert validate_spec(version.spec) == []
        assert version.published_at is not None and version.first_used_at is None


def test_fixture_loads_over_the_migrated_rows_by_code():
    before = snapshot()
    call_command("loaddata", str(FIXTURE), verbosity=0)
    assert FrameworkVersion.objects.count() == 2 and snapshot() == before
