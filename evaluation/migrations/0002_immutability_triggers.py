from django.db import migrations


def install(apps, schema_editor):
    from evaluation import triggers

    triggers.install(schema_editor.connection, parts=("forms",))


def uninstall(apps, schema_editor):
    from evaluation import triggers

    triggers.uninstall(schema_editor.connection, parts=("forms",))


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
