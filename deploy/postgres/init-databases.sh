#!/bin/sh
# One PostgreSQL server, one database per service: no service can read another's tables.
set -eu
for db in articles views render; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" -c "CREATE DATABASE $db" || true
done
