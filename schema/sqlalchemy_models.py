"""SQLAlchemy Core tables for the schema the Django migrations create.

Generated from a freshly migrated database by `manage.py export_schema`; do not edit. Django migrations
own the schema: change a model, add a migration, then regenerate this file.
"""

from sqlalchemy import (
    CheckConstraint,
    Column,
    Computed,
    ForeignKeyConstraint,
    Identity,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import (
    BIGINT,
    BOOLEAN,
    INTEGER,
    JSONB,
    NUMERIC,
    SMALLINT,
    TEXT,
    TIMESTAMP,
    TSVECTOR,
    UUID,
    VARCHAR,
)

# Extensions the schema relies on (e.g. trigram operator classes); create them before the tables.
REQUIRED_EXTENSIONS: tuple[str, ...] = ("pg_trgm",)

metadata = MetaData()


auth_group = Table(
    "auth_group",
    metadata,
    Column(
        "id",
        INTEGER(),
        Identity(start=1, increment=1, minvalue=1, maxvalue=2147483647, cycle=False, cache=1),
        nullable=False,
    ),
    Column("name", VARCHAR(length=150), nullable=False),
    PrimaryKeyConstraint("id", name="auth_group_pkey"),
    UniqueConstraint("name", name="auth_group_name_key"),
    Index("auth_group_name_a6ea08ec_like", "name", postgresql_ops={"name": "varchar_pattern_ops"}),
)


auth_group_permissions = Table(
    "auth_group_permissions",
    metadata,
    Column("group_id", INTEGER(), nullable=False),
    Column(
        "id",
        BIGINT(),
        Identity(start=1, increment=1, minvalue=1, maxvalue=9223372036854775807, cycle=False, cache=1),
        nullable=False,
    ),
    Column("permission_id", INTEGER(), nullable=False),
    PrimaryKeyConstraint("id", name="auth_group_permissions_pkey"),
    ForeignKeyConstraint(
        ["permission_id"],
        ["auth_permission.id"],
        name="auth_group_permissio_permission_id_84c5c92e_fk_auth_perm",
        deferrable=True,
        initially="DEFERRED",
    ),
    ForeignKeyConstraint(
        ["group_id"],
        ["auth_group.id"],
        name="auth_group_permissions_group_id_b120cbf9_fk_auth_group_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    UniqueConstraint("group_id", "permission_id", name="auth_group_permissions_group_id_permission_id_0cd325b0_uniq"),
    Index("auth_group_permissions_group_id_b120cbf9", "group_id"),
    Index("auth_group_permissions_permission_id_84c5c92e", "permission_id"),
)


auth_permission = Table(
    "auth_permission",
    metadata,
    Column("codename", VARCHAR(length=100), nullable=False),
    Column("content_type_id", INTEGER(), nullable=False),
    Column(
        "id",
        INTEGER(),
        Identity(start=1, increment=1, minvalue=1, maxvalue=2147483647, cycle=False, cache=1),
        nullable=False,
    ),
    Column("name", VARCHAR(length=255), nullable=False),
    PrimaryKeyConstraint("id", name="auth_permission_pkey"),
    ForeignKeyConstraint(
        ["content_type_id"],
        ["django_content_type.id"],
        name="auth_permission_content_type_id_2f476e4b_fk_django_co",
        deferrable=True,
        initially="DEFERRED",
    ),
    UniqueConstraint("content_type_id", "codename", name="auth_permission_content_type_id_codename_01ab375a_uniq"),
    Index("auth_permission_content_type_id_2f476e4b", "content_type_id"),
)


cart_items = Table(
    "cart_items",
    metadata,
    Column("cart_id", UUID(), nullable=False),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("id", UUID(), nullable=False),
    Column("product_id", UUID(), nullable=False),
    Column("quantity", INTEGER(), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    PrimaryKeyConstraint("id", name="cart_items_pkey"),
    ForeignKeyConstraint(
        ["cart_id"],
        ["carts.id"],
        name="cart_items_cart_id_54d2714b_fk_carts_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    ForeignKeyConstraint(
        ["product_id"],
        ["products.id"],
        name="cart_items_product_id_9398bb89_fk_products_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    UniqueConstraint("cart_id", "product_id", name="cart_items_product_unique_per_cart"),
    CheckConstraint("quantity >= 0", name="cart_items_quantity_check"),
    CheckConstraint("quantity > 0", name="cart_items_quantity_positive"),
    Index("cart_items_cart_id_54d2714b", "cart_id"),
    Index("cart_items_created_at_da5f0610", "created_at"),
    Index("cart_items_product_id_9398bb89", "product_id"),
)


carts = Table(
    "carts",
    metadata,
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("id", UUID(), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    Column("user_id", UUID(), nullable=False),
    PrimaryKeyConstraint("id", name="carts_pkey"),
    ForeignKeyConstraint(
        ["user_id"],
        ["users.id"],
        name="carts_user_id_3a9d1785_fk_users_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    UniqueConstraint("user_id", name="carts_user_id_key"),
    Index("carts_created_at_69277ee6", "created_at"),
)


categories = Table(
    "categories",
    metadata,
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("id", UUID(), nullable=False),
    Column("is_active", BOOLEAN(), nullable=False, server_default=text("true")),
    Column("name", VARCHAR(length=120), nullable=False),
    Column("parent_id", UUID()),
    Column("slug", VARCHAR(length=140), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    PrimaryKeyConstraint("id", name="categories_pkey"),
    CheckConstraint("NOT (parent_id = id AND parent_id IS NOT NULL)", name="categories_not_own_parent"),
    ForeignKeyConstraint(
        ["parent_id"],
        ["categories.id"],
        name="categories_parent_id_fc02df82_fk_categories_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    UniqueConstraint("parent_id", "slug", name="categories_slug_unique_per_parent"),
    Index("categories_created_at_f87c3592", "created_at"),
    Index("categories_parent_id_fc02df82", "parent_id"),
    Index("categories_root_slug_unique", "slug", unique=True, postgresql_where=text("(parent_id IS NULL)")),
    Index("categories_slug_9bedfe6b", "slug"),
    Index("categories_slug_9bedfe6b_like", "slug", postgresql_ops={"slug": "varchar_pattern_ops"}),
)


django_admin_log = Table(
    "django_admin_log",
    metadata,
    Column("action_flag", SMALLINT(), nullable=False),
    Column("action_time", TIMESTAMP(timezone=True), nullable=False),
    Column("change_message", TEXT(), nullable=False),
    Column("content_type_id", INTEGER()),
    Column(
        "id",
        INTEGER(),
        Identity(start=1, increment=1, minvalue=1, maxvalue=2147483647, cycle=False, cache=1),
        nullable=False,
    ),
    Column("object_id", TEXT()),
    Column("object_repr", VARCHAR(length=200), nullable=False),
    Column("user_id", UUID(), nullable=False),
    PrimaryKeyConstraint("id", name="django_admin_log_pkey"),
    CheckConstraint("action_flag >= 0", name="django_admin_log_action_flag_check"),
    ForeignKeyConstraint(
        ["content_type_id"],
        ["django_content_type.id"],
        name="django_admin_log_content_type_id_c4bce8eb_fk_django_co",
        deferrable=True,
        initially="DEFERRED",
    ),
    ForeignKeyConstraint(
        ["user_id"],
        ["users.id"],
        name="django_admin_log_user_id_c564eba6_fk_users_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    Index("django_admin_log_content_type_id_c4bce8eb", "content_type_id"),
    Index("django_admin_log_user_id_c564eba6", "user_id"),
)


django_celery_beat_clockedschedule = Table(
    "django_celery_beat_clockedschedule",
    metadata,
    Column("clocked_time", TIMESTAMP(timezone=True), nullable=False),
    Column(
        "id",
        INTEGER(),
        Identity(start=1, increment=1, minvalue=1, maxvalue=2147483647, cycle=False, cache=1),
        nullable=False,
    ),
    PrimaryKeyConstraint("id", name="django_celery_beat_clockedschedule_pkey"),
)


django_celery_beat_crontabschedule = Table(
    "django_celery_beat_crontabschedule",
    metadata,
    Column("day_of_month", VARCHAR(length=124), nullable=False),
    Column("day_of_week", VARCHAR(length=64), nullable=False),
    Column("hour", VARCHAR(length=96), nullable=False),
    Column(
        "id",
        INTEGER(),
        Identity(start=1, increment=1, minvalue=1, maxvalue=2147483647, cycle=False, cache=1),
        nullable=False,
    ),
    Column("minute", VARCHAR(length=240), nullable=False),
    Column("month_of_year", VARCHAR(length=64), nullable=False),
    Column("timezone", VARCHAR(length=63), nullable=False),
    PrimaryKeyConstraint("id", name="django_celery_beat_crontabschedule_pkey"),
)


django_celery_beat_intervalschedule = Table(
    "django_celery_beat_intervalschedule",
    metadata,
    Column("every", INTEGER(), nullable=False),
    Column(
        "id",
        INTEGER(),
        Identity(start=1, increment=1, minvalue=1, maxvalue=2147483647, cycle=False, cache=1),
        nullable=False,
    ),
    Column("period", VARCHAR(length=24), nullable=False),
    PrimaryKeyConstraint("id", name="django_celery_beat_intervalschedule_pkey"),
)


django_celery_beat_periodictask = Table(
    "django_celery_beat_periodictask",
    metadata,
    Column("args", TEXT(), nullable=False),
    Column("clocked_id", INTEGER()),
    Column("crontab_id", INTEGER()),
    Column("date_changed", TIMESTAMP(timezone=True), nullable=False),
    Column("description", TEXT(), nullable=False),
    Column("enabled", BOOLEAN(), nullable=False),
    Column("exchange", VARCHAR(length=200)),
    Column("expire_seconds", INTEGER()),
    Column("expires", TIMESTAMP(timezone=True)),
    Column("headers", TEXT(), nullable=False),
    Column(
        "id",
        INTEGER(),
        Identity(start=1, increment=1, minvalue=1, maxvalue=2147483647, cycle=False, cache=1),
        nullable=False,
    ),
    Column("interval_id", INTEGER()),
    Column("kwargs", TEXT(), nullable=False),
    Column("last_run_at", TIMESTAMP(timezone=True)),
    Column("name", VARCHAR(length=200), nullable=False),
    Column("one_off", BOOLEAN(), nullable=False),
    Column("priority", INTEGER()),
    Column("queue", VARCHAR(length=200)),
    Column("routing_key", VARCHAR(length=200)),
    Column("solar_id", INTEGER()),
    Column("start_time", TIMESTAMP(timezone=True)),
    Column("task", VARCHAR(length=200), nullable=False),
    Column("total_run_count", INTEGER(), nullable=False),
    PrimaryKeyConstraint("id", name="django_celery_beat_periodictask_pkey"),
    ForeignKeyConstraint(
        ["clocked_id"],
        ["django_celery_beat_clockedschedule.id"],
        name="django_celery_beat_p_clocked_id_47a69f82_fk_django_ce",
        deferrable=True,
        initially="DEFERRED",
    ),
    ForeignKeyConstraint(
        ["crontab_id"],
        ["django_celery_beat_crontabschedule.id"],
        name="django_celery_beat_p_crontab_id_d3cba168_fk_django_ce",
        deferrable=True,
        initially="DEFERRED",
    ),
    ForeignKeyConstraint(
        ["interval_id"],
        ["django_celery_beat_intervalschedule.id"],
        name="django_celery_beat_p_interval_id_a8ca27da_fk_django_ce",
        deferrable=True,
        initially="DEFERRED",
    ),
    ForeignKeyConstraint(
        ["solar_id"],
        ["django_celery_beat_solarschedule.id"],
        name="django_celery_beat_p_solar_id_a87ce72c_fk_django_ce",
        deferrable=True,
        initially="DEFERRED",
    ),
    CheckConstraint("expire_seconds >= 0", name="django_celery_beat_periodictask_expire_seconds_check"),
    UniqueConstraint("name", name="django_celery_beat_periodictask_name_key"),
    CheckConstraint("priority >= 0", name="django_celery_beat_periodictask_priority_check"),
    CheckConstraint("total_run_count >= 0", name="django_celery_beat_periodictask_total_run_count_check"),
    Index("django_celery_beat_periodictask_clocked_id_47a69f82", "clocked_id"),
    Index("django_celery_beat_periodictask_crontab_id_d3cba168", "crontab_id"),
    Index("django_celery_beat_periodictask_interval_id_a8ca27da", "interval_id"),
    Index("django_celery_beat_periodictask_name_265a36b7_like", "name", postgresql_ops={"name": "varchar_pattern_ops"}),
    Index("django_celery_beat_periodictask_solar_id_a87ce72c", "solar_id"),
)


django_celery_beat_periodictasks = Table(
    "django_celery_beat_periodictasks",
    metadata,
    Column("ident", SMALLINT(), nullable=False, autoincrement=False),
    Column("last_update", TIMESTAMP(timezone=True), nullable=False),
    PrimaryKeyConstraint("ident", name="django_celery_beat_periodictasks_pkey"),
)


django_celery_beat_solarschedule = Table(
    "django_celery_beat_solarschedule",
    metadata,
    Column("event", VARCHAR(length=24), nullable=False),
    Column(
        "id",
        INTEGER(),
        Identity(start=1, increment=1, minvalue=1, maxvalue=2147483647, cycle=False, cache=1),
        nullable=False,
    ),
    Column("latitude", NUMERIC(precision=9, scale=6), nullable=False),
    Column("longitude", NUMERIC(precision=9, scale=6), nullable=False),
    PrimaryKeyConstraint("id", name="django_celery_beat_solarschedule_pkey"),
    UniqueConstraint(
        "event",
        "latitude",
        "longitude",
        name="django_celery_beat_solar_event_latitude_longitude_ba64999a_uniq",
    ),
)


django_content_type = Table(
    "django_content_type",
    metadata,
    Column("app_label", VARCHAR(length=100), nullable=False),
    Column(
        "id",
        INTEGER(),
        Identity(start=1, increment=1, minvalue=1, maxvalue=2147483647, cycle=False, cache=1),
        nullable=False,
    ),
    Column("model", VARCHAR(length=100), nullable=False),
    PrimaryKeyConstraint("id", name="django_content_type_pkey"),
    UniqueConstraint("app_label", "model", name="django_content_type_app_label_model_76bd3d3b_uniq"),
)


django_migrations = Table(
    "django_migrations",
    metadata,
    Column("app", VARCHAR(length=255), nullable=False),
    Column("applied", TIMESTAMP(timezone=True), nullable=False),
    Column(
        "id",
        BIGINT(),
        Identity(start=1, increment=1, minvalue=1, maxvalue=9223372036854775807, cycle=False, cache=1),
        nullable=False,
    ),
    Column("name", VARCHAR(length=255), nullable=False),
    PrimaryKeyConstraint("id", name="django_migrations_pkey"),
)


django_session = Table(
    "django_session",
    metadata,
    Column("expire_date", TIMESTAMP(timezone=True), nullable=False),
    Column("session_data", TEXT(), nullable=False),
    Column("session_key", VARCHAR(length=40), nullable=False),
    PrimaryKeyConstraint("session_key", name="django_session_pkey"),
    Index("django_session_expire_date_a5c62663", "expire_date"),
    Index(
        "django_session_session_key_c0390e0f_like",
        "session_key",
        postgresql_ops={"session_key": "varchar_pattern_ops"},
    ),
)


idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("fingerprint", VARCHAR(length=64), nullable=False),
    Column("id", UUID(), nullable=False),
    Column("key", VARCHAR(length=255), nullable=False),
    Column("method", VARCHAR(length=10), nullable=False),
    Column("path", VARCHAR(length=2048), nullable=False),
    Column("response_body", JSONB(astext_type=Text())),
    Column("response_status", SMALLINT()),
    Column("state", VARCHAR(length=16), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    Column("user_id", UUID(), nullable=False),
    PrimaryKeyConstraint("id", name="idempotency_keys_pkey"),
    CheckConstraint("response_status >= 0", name="idempotency_keys_response_status_check"),
    CheckConstraint(
        "state::text = ANY (ARRAY['in_progress'::character varying, 'completed'::character varying]::text[])",
        name="idempotency_keys_state_valid",
    ),
    ForeignKeyConstraint(
        ["user_id"],
        ["users.id"],
        name="idempotency_keys_user_id_fe2a5406_fk_users_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    UniqueConstraint("user_id", "key", name="idempotency_keys_user_key_unique"),
    Index("idempotency_keys_created_at_7cd299ac", "created_at"),
    Index("idempotency_keys_user_id_fe2a5406", "user_id"),
)


order_items = Table(
    "order_items",
    metadata,
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("id", UUID(), nullable=False),
    Column("order_id", UUID(), nullable=False),
    Column("price_at_purchase", NUMERIC(precision=12, scale=2), nullable=False),
    Column("product_id", UUID(), nullable=False),
    Column("quantity", INTEGER(), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    PrimaryKeyConstraint("id", name="order_items_pkey"),
    ForeignKeyConstraint(
        ["order_id"],
        ["orders.id"],
        name="order_items_order_id_412ad78b_fk_orders_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    CheckConstraint("price_at_purchase >= 0::numeric", name="order_items_price_non_negative"),
    ForeignKeyConstraint(
        ["product_id"],
        ["products.id"],
        name="order_items_product_id_dd557d5a_fk_products_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    UniqueConstraint("order_id", "product_id", name="order_items_product_unique_per_order"),
    CheckConstraint("quantity >= 0", name="order_items_quantity_check"),
    CheckConstraint("quantity > 0", name="order_items_quantity_positive"),
    Index("order_items_created_at_2617351b", "created_at"),
    Index("order_items_order_id_412ad78b", "order_id"),
    Index("order_items_product_id_dd557d5a", "product_id"),
)


order_status_events = Table(
    "order_status_events",
    metadata,
    Column("actor_id", UUID()),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("from_status", VARCHAR(length=32), nullable=False),
    Column("id", UUID(), nullable=False),
    Column("order_id", UUID(), nullable=False),
    Column("reason", VARCHAR(length=64), nullable=False),
    Column("to_status", VARCHAR(length=32), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    PrimaryKeyConstraint("id", name="order_status_events_pkey"),
    ForeignKeyConstraint(
        ["actor_id"],
        ["users.id"],
        name="order_status_events_actor_id_60f6a371_fk_users_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    ForeignKeyConstraint(
        ["order_id"],
        ["orders.id"],
        name="order_status_events_order_id_4b3540ea_fk_orders_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    Index("order_status_events_actor_id_60f6a371", "actor_id"),
    Index("order_status_events_created_at_d9e44851", "created_at"),
    Index("order_status_events_order_id_4b3540ea", "order_id"),
)


orders = Table(
    "orders",
    metadata,
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("expires_at", TIMESTAMP(timezone=True)),
    Column("id", UUID(), nullable=False),
    Column("status", VARCHAR(length=32), nullable=False),
    Column("total_amount", NUMERIC(precision=12, scale=2), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    Column("user_id", UUID(), nullable=False),
    PrimaryKeyConstraint("id", name="orders_pkey"),
    CheckConstraint(
        "status::text = ANY (ARRAY['PENDING'::character varying, 'PAYMENT_CONFIRMED'::character varying, "
        "'PROCESSING'::character varying, 'SHIPPED'::character varying, 'CANCELLED'::character varying]::text[])",
        name="orders_status_valid",
    ),
    CheckConstraint("total_amount >= 0::numeric", name="orders_total_non_negative"),
    ForeignKeyConstraint(
        ["user_id"],
        ["users.id"],
        name="orders_user_id_7e2523fb_fk_users_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    Index("orders_created_at_91ec19d2", "created_at"),
    Index("orders_status_expiry_idx", "status", "expires_at"),
    Index("orders_user_created_idx", "user_id", text("created_at DESC")),
    Index("orders_user_id_7e2523fb", "user_id"),
)


outbox_messages = Table(
    "outbox_messages",
    metadata,
    Column("attempts", INTEGER(), nullable=False),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("id", UUID(), nullable=False),
    Column("idempotency_key", VARCHAR(length=200), nullable=False),
    Column("kind", VARCHAR(length=32), nullable=False),
    Column("last_error", TEXT(), nullable=False),
    Column("next_attempt_at", TIMESTAMP(timezone=True), nullable=False),
    Column("payload", JSONB(astext_type=Text()), nullable=False),
    Column("request_id", VARCHAR(length=128), nullable=False),
    Column("sent_at", TIMESTAMP(timezone=True)),
    Column("state", VARCHAR(length=16), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    PrimaryKeyConstraint("id", name="outbox_messages_pkey"),
    CheckConstraint("attempts >= 0", name="outbox_messages_attempts_check"),
    UniqueConstraint("idempotency_key", name="outbox_messages_idempotency_key_key"),
    CheckConstraint(
        "state::text = ANY (ARRAY['pending'::character varying, 'sent'::character varying, 'dead'::character "
        "varying]::text[])",
        name="outbox_state_valid",
    ),
    Index("outbox_messages_created_at_ef157a13", "created_at"),
    Index(
        "outbox_messages_idempotency_key_777ec7ea_like",
        "idempotency_key",
        postgresql_ops={"idempotency_key": "varchar_pattern_ops"},
    ),
    Index("outbox_pending_due_idx", "next_attempt_at", postgresql_where=text("((state)::text = 'pending'::text)")),
)


payment_fake_charges = Table(
    "payment_fake_charges",
    metadata,
    Column("amount", NUMERIC(precision=12, scale=2), nullable=False),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("currency", VARCHAR(length=3), nullable=False),
    Column("id", UUID(), nullable=False),
    Column("idempotency_key", VARCHAR(length=255), nullable=False),
    Column("metadata", JSONB(astext_type=Text()), nullable=False),
    Column("outcome", VARCHAR(length=16), nullable=False),
    Column("refund_id", VARCHAR(length=64), nullable=False),
    Column("refunded_amount", NUMERIC(precision=12, scale=2), nullable=False),
    Column("token", VARCHAR(length=64), nullable=False),
    Column("transaction_id", VARCHAR(length=64), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    PrimaryKeyConstraint("id", name="payment_fake_charges_pkey"),
    UniqueConstraint("idempotency_key", name="payment_fake_charges_idempotency_key_key"),
    CheckConstraint(
        "refunded_amount >= 0::numeric AND refunded_amount <= amount",
        name="payment_fake_charges_refund_within_amount",
    ),
    UniqueConstraint("transaction_id", name="payment_fake_charges_transaction_id_key"),
    Index("payment_fake_charges_created_at_cc11bce1", "created_at"),
    Index(
        "payment_fake_charges_idempotency_key_b1fd289a_like",
        "idempotency_key",
        postgresql_ops={"idempotency_key": "varchar_pattern_ops"},
    ),
    Index(
        "payment_fake_charges_transaction_id_e570554e_like",
        "transaction_id",
        postgresql_ops={"transaction_id": "varchar_pattern_ops"},
    ),
)


payment_webhook_events = Table(
    "payment_webhook_events",
    metadata,
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("event_id", VARCHAR(length=255), nullable=False),
    Column("event_type", VARCHAR(length=64), nullable=False),
    Column("id", UUID(), nullable=False),
    Column("outcome", VARCHAR(length=32), nullable=False),
    Column("payload", JSONB(astext_type=Text()), nullable=False),
    Column("payment_id", UUID()),
    Column("provider", VARCHAR(length=32), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    PrimaryKeyConstraint("id", name="payment_webhook_events_pkey"),
    ForeignKeyConstraint(
        ["payment_id"],
        ["payments.id"],
        name="payment_webhook_events_payment_id_297ae73e_fk_payments_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    UniqueConstraint("provider", "event_id", name="payment_webhook_events_unique"),
    Index("payment_webhook_events_created_at_6582c050", "created_at"),
    Index("payment_webhook_events_payment_id_297ae73e", "payment_id"),
)


payments = Table(
    "payments",
    metadata,
    Column("amount", NUMERIC(precision=12, scale=2), nullable=False),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("currency", VARCHAR(length=3), nullable=False),
    Column("failure_code", VARCHAR(length=64), nullable=False),
    Column("failure_message", VARCHAR(length=255), nullable=False),
    Column("id", UUID(), nullable=False),
    Column("idempotency_key", VARCHAR(length=255), nullable=False),
    Column("order_id", UUID(), nullable=False),
    Column("provider", VARCHAR(length=32), nullable=False),
    Column("refund_id", VARCHAR(length=255), nullable=False),
    Column("refund_requested_at", TIMESTAMP(timezone=True)),
    Column("refunded_at", TIMESTAMP(timezone=True)),
    Column("refunded_by_id", UUID()),
    Column("status", VARCHAR(length=16), nullable=False),
    Column("transaction_id", VARCHAR(length=255)),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    PrimaryKeyConstraint("id", name="payments_pkey"),
    CheckConstraint("amount >= 0::numeric", name="payments_amount_non_negative"),
    ForeignKeyConstraint(
        ["order_id"],
        ["orders.id"],
        name="payments_order_id_6086ad70_fk_orders_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    UniqueConstraint("provider", "transaction_id", name="payments_provider_transaction_unique"),
    ForeignKeyConstraint(
        ["refunded_by_id"],
        ["users.id"],
        name="payments_refunded_by_id_370605fa_fk_users_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    CheckConstraint(
        "NOT (status::text = ANY (ARRAY['succeeded'::character varying, 'refunded'::character varying]::text[])) OR "
        "transaction_id IS NOT NULL",
        name="payments_settled_has_transaction",
    ),
    CheckConstraint(
        "status::text = ANY (ARRAY['pending'::character varying, 'succeeded'::character varying, 'failed'::character "
        "varying, 'refunded'::character varying]::text[])",
        name="payments_status_valid",
    ),
    Index("payments_created_at_c267fff5", "created_at"),
    Index(
        "payments_one_succeeded_per_order",
        "order_id",
        unique=True,
        postgresql_where=text("((status)::text = 'succeeded'::text)"),
    ),
    Index("payments_order_id_6086ad70", "order_id"),
    Index("payments_order_status_idx", "order_id", "status"),
    Index("payments_refunded_by_id_370605fa", "refunded_by_id"),
)


products = Table(
    "products",
    metadata,
    Column("attributes", JSONB(astext_type=Text()), nullable=False),
    Column("category_id", UUID(), nullable=False),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("description", TEXT(), nullable=False),
    Column("id", UUID(), nullable=False),
    Column("image", VARCHAR(length=100), nullable=False),
    Column("is_active", BOOLEAN(), nullable=False),
    Column("low_stock_threshold", INTEGER(), nullable=False),
    Column("name", VARCHAR(length=200), nullable=False),
    Column("price", NUMERIC(precision=12, scale=2), nullable=False),
    Column(
        "search_vector",
        TSVECTOR(),
        Computed(
            "(setweight(to_tsvector('english'::regconfig, (COALESCE(name, ''::character varying))::text), "
            "'A'::\"char\") || setweight(to_tsvector('english'::regconfig, COALESCE(description, ''::text)), "
            "'B'::\"char\"))",
            persisted=True,
        ),
    ),
    Column("slug", VARCHAR(length=220), nullable=False),
    Column("stock_quantity", INTEGER(), nullable=False),
    Column("thumbnails", JSONB(astext_type=Text()), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    PrimaryKeyConstraint("id", name="products_pkey"),
    ForeignKeyConstraint(
        ["category_id"],
        ["categories.id"],
        name="products_category_id_a7a3a156_fk_categories_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    CheckConstraint("low_stock_threshold >= 0", name="products_low_stock_threshold_check"),
    CheckConstraint("price >= 0::numeric", name="products_price_non_negative"),
    UniqueConstraint("slug", name="products_slug_key"),
    CheckConstraint("stock_quantity >= 0", name="products_stock_non_negative"),
    Index(
        "products_active_cat_newest",
        "category_id",
        text("created_at DESC"),
        text("id DESC"),
        postgresql_include=["stock_quantity", "attributes"],
        postgresql_where=text("is_active"),
    ),
    Index(
        "products_active_cat_price",
        "category_id",
        "price",
        "id",
        postgresql_include=["stock_quantity", "attributes"],
        postgresql_where=text("is_active"),
    ),
    Index("products_active_name", "name", "id", postgresql_where=text("is_active")),
    Index(
        "products_active_newest",
        text("created_at DESC"),
        text("id DESC"),
        postgresql_include=["stock_quantity", "attributes"],
        postgresql_where=text("is_active"),
    ),
    Index(
        "products_active_price",
        "price",
        "id",
        postgresql_include=["stock_quantity", "attributes"],
        postgresql_where=text("is_active"),
    ),
    Index("products_attributes_gin", "attributes", postgresql_using="gin"),
    Index("products_category_id_a7a3a156", "category_id"),
    Index("products_created_at_30e3e54b", "created_at"),
    Index("products_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
    Index("products_price_idx", "price"),
    Index("products_search_gin", "search_vector", postgresql_using="gin"),
    Index("products_slug_8f20884e_like", "slug", postgresql_ops={"slug": "varchar_pattern_ops"}),
)


stock_movements = Table(
    "stock_movements",
    metadata,
    Column("actor_id", UUID()),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("delta", INTEGER(), nullable=False),
    Column("id", UUID(), nullable=False),
    Column("note", VARCHAR(length=500), nullable=False, server_default=text("''::character varying")),
    Column("order_id", UUID()),
    Column("product_id", UUID(), nullable=False),
    Column("reason", VARCHAR(length=32), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    PrimaryKeyConstraint("id", name="stock_movements_pkey"),
    ForeignKeyConstraint(
        ["actor_id"],
        ["users.id"],
        name="stock_movements_actor_id_d66756a5_fk_users_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    CheckConstraint("NOT delta = 0", name="stock_movements_delta_non_zero"),
    ForeignKeyConstraint(
        ["order_id"],
        ["orders.id"],
        name="stock_movements_order_id_0d379a60_fk_orders_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    ForeignKeyConstraint(
        ["product_id"],
        ["products.id"],
        name="stock_movements_product_id_5bacd6d9_fk_products_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    CheckConstraint(
        "reason::text = ANY (ARRAY['initial'::character varying, 'order_placed'::character varying, "
        "'order_cancelled'::character varying, 'order_expired'::character varying, 'adjustment'::character varying, "
        "'restock'::character varying]::text[])",
        name="stock_movements_reason_valid",
    ),
    Index("stock_movements_actor_id_d66756a5", "actor_id"),
    Index("stock_movements_created_at_cd82239e", "created_at"),
    Index("stock_movements_order_id_0d379a60", "order_id"),
    Index("stock_movements_product_id_5bacd6d9", "product_id"),
    Index("stock_movements_product_idx", "product_id", text("created_at DESC")),
)


token_blacklist_blacklistedtoken = Table(
    "token_blacklist_blacklistedtoken",
    metadata,
    Column("blacklisted_at", TIMESTAMP(timezone=True), nullable=False),
    Column(
        "id",
        BIGINT(),
        Identity(start=1, increment=1, minvalue=1, maxvalue=9223372036854775807, cycle=False, cache=1),
        nullable=False,
    ),
    Column("token_id", BIGINT(), nullable=False),
    PrimaryKeyConstraint("id", name="token_blacklist_blacklistedtoken_pkey"),
    ForeignKeyConstraint(
        ["token_id"],
        ["token_blacklist_outstandingtoken.id"],
        name="token_blacklist_blacklistedtoken_token_id_3cc7fe56_fk",
        deferrable=True,
        initially="DEFERRED",
    ),
    UniqueConstraint("token_id", name="token_blacklist_blacklistedtoken_token_id_key"),
)


token_blacklist_outstandingtoken = Table(
    "token_blacklist_outstandingtoken",
    metadata,
    Column("created_at", TIMESTAMP(timezone=True)),
    Column("expires_at", TIMESTAMP(timezone=True), nullable=False),
    Column(
        "id",
        BIGINT(),
        Identity(start=1, increment=1, minvalue=1, maxvalue=9223372036854775807, cycle=False, cache=1),
        nullable=False,
    ),
    Column("jti", VARCHAR(length=255), nullable=False),
    Column("token", TEXT(), nullable=False),
    Column("user_id", UUID()),
    PrimaryKeyConstraint("id", name="token_blacklist_outstandingtoken_pkey"),
    UniqueConstraint("jti", name="token_blacklist_outstandingtoken_jti_hex_d9bdf6f7_uniq"),
    ForeignKeyConstraint(
        ["user_id"],
        ["users.id"],
        name="token_blacklist_outstandingtoken_user_id_83bc629a_fk_users_id",
        deferrable=True,
        initially="DEFERRED",
    ),
    Index(
        "token_blacklist_outstandingtoken_jti_hex_d9bdf6f7_like",
        "jti",
        postgresql_ops={"jti": "varchar_pattern_ops"},
    ),
    Index("token_blacklist_outstandingtoken_user_id_83bc629a", "user_id"),
)


users = Table(
    "users",
    metadata,
    Column("date_joined", TIMESTAMP(timezone=True), nullable=False),
    Column("email", VARCHAR(length=254), nullable=False),
    Column("first_name", VARCHAR(length=150), nullable=False),
    Column("id", UUID(), nullable=False),
    Column("is_active", BOOLEAN(), nullable=False),
    Column("is_verified", BOOLEAN(), nullable=False),
    Column("last_login", TIMESTAMP(timezone=True)),
    Column("last_name", VARCHAR(length=150), nullable=False),
    Column("password", VARCHAR(length=128), nullable=False),
    Column("role", VARCHAR(length=16), nullable=False),
    PrimaryKeyConstraint("id", name="users_pkey"),
    CheckConstraint(
        "role::text = ANY (ARRAY['admin'::character varying, 'manager'::character varying, 'customer'::character "
        "varying]::text[])",
        name="users_role_valid",
    ),
    Index("users_email_ci_unique", text("lower(email::text)"), unique=True),
    Index("users_role_f0571928", "role"),
    Index("users_role_f0571928_like", "role", postgresql_ops={"role": "varchar_pattern_ops"}),
)
