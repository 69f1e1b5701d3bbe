#!/bin/sh
# Runs once, when the compose primary's data directory is created: lets the replica service stream from it
# (password-checked replication connections from the compose network) and counts statements per query.
set -eu
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
