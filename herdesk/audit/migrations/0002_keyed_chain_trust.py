"""The audit chain becomes keyed (HMAC with HERDESK_AUDIT_KEY).

Existing entries are not re-hashed: re-keying would also re-bless any edit made before the upgrade.
They keep their plain SHA-256 links (still verified as such) and the head records the cut-over:
every entry from `keyed_from_seq` on is keyed. The first anchor records the cut-over too.
"""

from django.db import migrations, models


def mark_cut_over(apps, schema_editor):  # type: ignore[no-untyped-def]
    Head = apps.get_model("audit", "AuditChainHead")
    for head in Head.objects.all():
        head.keyed_from_seq = head.last_seq + 1
        head.save(update_fields=["keyed_from_seq"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="keyed_from_seq",
            field=models.BigIntegerField(default=1),
        ),
        migrations.RunPython(mark_cut_over, migrations.RunPython.noop),
    ]
