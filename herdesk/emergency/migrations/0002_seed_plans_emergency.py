"""Seed 001 §7: the five contingency plans (product recall, cold chain, disease outbreak, system
outage, mass complaint) with levels I–IV, responsibilities, steps and pre-approved templates."""

from django.db import migrations


def seed(apps, schema_editor):
    from herdesk.emergency.seed import plans_seed

    plans_seed(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("emergency", "0001_initial_emergency")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
