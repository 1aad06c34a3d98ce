"""Reference data: the two framework versions the system ships, published (DOMAIN.md section 3).

Reads `kpi/frameworks/<code>.yaml`, parses it with `kpi.spec.spec_from_dict` and stores the
structured form (`spec_to_dict`). A version whose code already exists is left alone.
"""

from pathlib import Path

import yaml
from django.db import migrations
from django.utils import timezone

FRAMEWORKS_DIR = Path(__file__).resolve().parents[1] / "frameworks"
CODES = ("HN-3814-2018", "VN-ND335-2025")


def load_reference_frameworks(apps, schema_editor):
    from kpi.spec import spec_from_dict, spec_to_dict, validate_spec

    FrameworkVersion = apps.get_model("kpi", "FrameworkVersion")
    now = timezone.now()
    for code in CODES:
        if FrameworkVersion.objects.filter(code=code).exists():
            continue
        raw = yaml.safe_load((FRAMEWORKS_DIR / f"{code}.yaml").read_text(encoding="utf-8"))
        spec = spec_from_dict(raw)
        errors = validate_spec(spec)
        if errors:
            raise ValueError(f"{code}: " + " ".join(errors))
        FrameworkVersion.objects.create(
            code=spec.code,
            name_vi=spec.name_vi,
            legal_ref=spec.legal_ref,
            effective_from=spec.effective_from,
            applies_to=list(spec.applies_to),
            period=spec.period,
            status="published",
            definition=spec_to_dict(spec),
            created_at=now,
            published_at=now,
        )


class Migration(migrations.Migration):
    dependencies = [("kpi", "0001_initial")]

    operations = [migrations.RunPython(load_reference_frameworks, migrations.RunPython.noop)]
