# The model's table was first created by an earlier app; this app records the model in its state and creates the
# table only on a database that does not have it yet.

import django.core.serializers.json
import uuid
from django.db import migrations, models

from core.tables import table_create_if_missing


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='OutboxMessage',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('kind', models.CharField(default='email', max_length=32)),
                        ('idempotency_key', models.CharField(max_length=200, unique=True)),
                        ('payload', models.JSONField(encoder=django.core.serializers.json.DjangoJSONEncoder)),
                        ('state', models.CharField(choices=[('pending', 'Pending'), ('sent', 'Sent'), ('dead', 'Dead')], default='pending', max_length=16)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('next_attempt_at', models.DateTimeField()),
                        ('last_error', models.TextField(blank=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'db_table': 'outbox_messages',
                        'ordering': ['created_at'],
                        'indexes': [models.Index(condition=models.Q(('state', 'pending')), fields=['next_attempt_at'], name='outbox_pending_due_idx')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('state__in', ['pending', 'sent', 'dead'])), name='outbox_state_valid')],
                    },
                ),
            ],
        ),
        table_create_if_missing("emails", "OutboxMessage"),
    ]
