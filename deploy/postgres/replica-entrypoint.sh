#!/bin/sh
# The compose replica: on first start, a base backup of the primary with -R (standby.signal and primary_conninfo
# written for streaming), then the image's own entrypoint runs it as a hot standby.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h "$PRIMARY_HOST" -U "$POSTGRES_USER" -q; do sleep 1; done
  mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
  gosu postgres env PGPASSWORD="$POSTGRES_PASSWORD" \
    pg_basebackup -h "$PRIMARY_HOST" -U "$POSTGRES_USER" -D "$PGDATA" -R -X stream -c fast
fi
exec docker-entrypoint.sh postgres -c hot_standby=on -c hot_standby_feedback=on \
  -c shared_preload_libraries=pg_stat_statements
