#!/bin/sh
# One-shot schema setup for Temporal on Postgres, run by the `temporal-schema` service in
# temporalio/admin-tools before the server starts. Safe to run on every `docker compose up`:
# `create` keeps an existing database, `setup-schema -v 0.0` keeps a schema that is already newer,
# and `update-schema` applies only the versions a newer server image brings.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (the Postgres host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD (the Postgres password) is required}"
PORT="${DB_PORT:-5432}"
SCHEMA=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$PORT" -u "$POSTGRES_USER" "$@"
}

# Temporal's own persistence, then its visibility store (what the Web UI lists and searches).
for pair in "temporal:temporal" "temporal_visibility:visibility"; do
  db="${pair%%:*}"
  dir="$SCHEMA/${pair#*:}/versioned"
  echo "temporal-schema: $db"
  sql_tool --db "$db" create
  sql_tool --db "$db" setup-schema -v 0.0
  sql_tool --db "$db" update-schema -d "$dir"
done
echo "temporal-schema: done"
