"""The scorecard templates of seed 001 (S2 §6.2) and seed 000 (S1 §五(一)1), version 1 in use."""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from herdesk.quality.templates_data import TEMPLATES, install

    models = (
        apps.get_model("quality", "Scorecard"),
        apps.get_model("quality", "ScorecardVersion"),
        apps.get_model("quality", "ScoreSection"),
        apps.get_model("quality", "ScoreCriterion"),
    )
    for template in TEMPLATES:
        install(models, template)


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
