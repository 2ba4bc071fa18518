#!/bin/sh
# One PostgreSQL server, one database per service, one role per database: each service
# connects as the owner of its own database and cannot even connect to another's, nor to
# the set-up database ($POSTGRES_DB).
# Runs once, on the first start of an empty data directory (docker-entrypoint-initdb.d).
# DB_NAME_PREFIX (empty in compose) prefixes every role and database name: the tests run
# this script against a shared server under throwaway names (tests/test_init_databases.py).
set -eu
prefix="${DB_NAME_PREFIX:-}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" <<'SQL'
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \gexec
SQL
for db in articles views render; do
  var="$(echo "$db" | tr a-z A-Z)_DB_PASSWORD"
  password="$(printenv "$var" || true)"
  if [ -z "$password" ]; then
    echo "init-databases: $var is not set" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v role="$prefix$db" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'role', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'role', :'role')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'role') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'role') \gexec
SQL
done
