"""People get `search_name`, their name folded for searching without tone marks; existing rows filled."""

import unicodedata

from django.db import migrations, models


def _fold(text):
    # A copy of orgchart.models.search_key as of this migration (migrations must not follow later edits).
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().split())


def fill(apps, schema_editor):
    Person = apps.get_model("orgchart", "Person")
    batch = []
    for person in Person.objects.only("pk", "full_name").iterator(chunk_size=2000):
        person.search_name = _fold(person.full_name)
        batch.append(person)
        if len(batch) == 2000:
            Person.objects.bulk_update(batch, ["search_name"])
            batch = []
    Person.objects.bulk_update(batch, ["search_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("orgchart", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="search_name",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=255),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
