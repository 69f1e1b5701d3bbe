# The model's table was first created by an earlier app; this app records the model in its state and creates the
# table only on a database that does not have it yet.

import django.core.serializers.json
import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models

from core.tables import table_create_if_missing


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='IdempotencyKey',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('key', models.CharField(max_length=255)),
                        ('method', models.CharField(max_length=10)),
                        ('path', models.CharField(max_length=2048)),
                        ('fingerprint', models.CharField(max_length=64)),
                        ('state', models.CharField(choices=[('in_progress', 'In progress'), ('completed', 'Completed')], default='in_progress', max_length=16)),
                        ('response_status', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('response_body', models.JSONField(blank=True, encoder=django.core.serializers.json.DjangoJSONEncoder, null=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='idempotency_keys', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'idempotency_keys',
                        'constraints': [models.UniqueConstraint(fields=('user', 'key'), name='idempotency_keys_user_key_unique'), models.CheckConstraint(condition=models.Q(('state__in', ['in_progress', 'completed'])), name='idempotency_keys_state_valid')],
                    },
                ),
            ],
        ),
        table_create_if_missing("idempotency", "IdempotencyKey"),
    ]
