"""Existing customers get their own data key; their master-key values are re-encrypted under it
(herdesk.customers.subject_keys; batched, idempotent, no value is lost: each is decrypted and
encrypted again)."""

from django.db import migrations


def adopt(apps, schema_editor):  # type: ignore[no-untyped-def]
    from herdesk.customers.subject_keys import subject_keys_adopt

    subject_keys_adopt(apps.get_model("customers", "Customer"), apps.get_model("customers", "Contact"))


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_subject_keys")]

    operations = [migrations.RunPython(adopt, migrations.RunPython.noop)]
