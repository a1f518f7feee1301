#!/bin/sh
# Run once by the postgres image on an empty data volume (docker-entrypoint-initdb.d): creates the login that
# Tenantflow's tenant queries use (TENANTFLOW_DATABASE_APP_URL). It *is* tenantflow_app, the role row-level security
# binds, so not even injected SQL can leave it; the migrations (run by DATABASE_URL's owner) find it and grant to it.
set -e # (no -u: the image sources a script that is not executable)
psql -v ON_ERROR_STOP=1 -v app_password="$TENANTFLOW_APP_DB_PASSWORD" \
  --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE tenantflow_app LOGIN NOBYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
SQL
