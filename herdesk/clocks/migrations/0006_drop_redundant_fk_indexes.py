"""Drop the single-column indexes on clocks_clock.ticket_id and clocks_clockincident.clock_id.

clock_ticket_kind_cycle / clock_ticket_state and clock_incident_once lead with the same column, so
these two only cost writes: each sweep UPDATE (never HOT: the state is indexed) and each incident
insert paid for one more index (bench scenario 5c). Only the indexes go: a plain AlterField would
also drop and re-validate the foreign key on PostgreSQL and copy the whole table on SQLite.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clocks", "0005_clock_clock_started"),
        ("tickets", "0003_ticket_tkt_open_team_id_ticket_tkt_open_assignee_id_and_more"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "clocks_clock_ticket_id_ba1c3b05"',
                    'CREATE INDEX "clocks_clock_ticket_id_ba1c3b05" ON "clocks_clock" ("ticket_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "clocks_clockincident_clock_id_b246722f"',
                    'CREATE INDEX "clocks_clockincident_clock_id_b246722f" '
                    'ON "clocks_clockincident" ("clock_id")',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="clock",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="clocks",
                        to="tickets.ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="clockincident",
                    name="clock",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="incidents",
                        to="clocks.clock",
                    ),
                ),
            ],
        ),
    ]
