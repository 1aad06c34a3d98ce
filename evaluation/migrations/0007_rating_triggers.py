"""Locked quarterly ratings and annual results are immutable too, even to raw SQL (evaluation/triggers.py)."""

from django.db import migrations


def install(apps, schema_editor):
    from evaluation import triggers

    triggers.install(schema_editor.connection, parts=("ratings",))


def uninstall(apps, schema_editor):
    from evaluation import triggers

    triggers.uninstall(schema_editor.connection, parts=("ratings",))


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0006_annual_complaint")]

    operations = [migrations.RunPython(install, uninstall)]
