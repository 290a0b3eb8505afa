#!/usr/bin/env bash
# Make sure a local PostgreSQL server is running on 127.0.0.1 with the Assay test user and
# database; print the SQLAlchemy URL to use on the last line of stdout.
# Installs Debian's `postgresql` if missing (needs root). Idempotent: safe to run many times.
#   ASSAY_PG_PORT (default 5432), ASSAY_PG_USER / ASSAY_PG_PASSWORD / ASSAY_PG_DB (default assay_test)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port="${ASSAY_PG_PORT:-5432}"
user="${ASSAY_PG_USER:-assay_test}"
password="${ASSAY_PG_PASSWORD:-assay_test}"
db="${ASSAY_PG_DB:-assay_test}"

url="postgresql+psycopg://$user:$password@127.0.0.1:$port/$db"
# already running with the test user and database: nothing to do (no root needed)
if command -v psql >/dev/null 2>&1 &&
  PGPASSWORD="$password" PGCONNECT_TIMEOUT=5 psql -h 127.0.0.1 -p "$port" -U "$user" -d "$db" \
    -qtAc 'select 1' >/dev/null 2>&1; then
  echo "$url"
  exit 0
fi
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  bash "$here/apt-ensure.sh" postgresql >&2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "assay: error: starting PostgreSQL needs root (or set ASSAY_TEST_PG_URL to a running server)" >&2
  exit 1
fi
version="$(ls /usr/lib/postgresql | sort -n | tail -1)"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$version main$"; then
  pg_createcluster --port "$port" "$version" main >&2
fi
status="$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}')"
if [ "$status" != "online" ]; then
  pg_ctlcluster "$version" main start >&2
fi
# wait until it accepts connections (at most ~15 s)
for _ in $(seq 1 30); do
  su postgres -c "psql -p $port -qtAc 'select 1'" >/dev/null 2>&1 && break
  sleep 0.5
done
psql_admin() { su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -qtAc \"$1\""; }
if [ "$(psql_admin "select 1 from pg_roles where rolname='$user'")" != "1" ]; then
  psql_admin "create role $user login createdb password '$password'" >&2
fi
if [ "$(psql_admin "select 1 from pg_database where datname='$db'")" != "1" ]; then
  psql_admin "create database $db owner $user" >&2
fi
echo "$url"
