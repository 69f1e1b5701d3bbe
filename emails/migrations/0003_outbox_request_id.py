from django.db import migrations, models

# IF NOT EXISTS: a database whose tables this app adopted (its migrations recorded afresh) may have the column.
ADD = (
    "ALTER TABLE outbox_messages ADD COLUMN IF NOT EXISTS request_id varchar(128) DEFAULT '' NOT NULL; "
    "ALTER TABLE outbox_messages ALTER COLUMN request_id DROP DEFAULT;"
)
DROP = "ALTER TABLE outbox_messages DROP COLUMN IF EXISTS request_id;"


class Migration(migrations.Migration):
    dependencies = [
        ("emails", "0002_outbox_relay_schedule"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(ADD, DROP)],
            state_operations=[
                migrations.AddField(
                    model_name="outboxmessage",
                    name="request_id",
                    field=models.CharField(blank=True, default="", max_length=128),
                ),
            ],
        ),
    ]
