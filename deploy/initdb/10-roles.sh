#!/bin/sh
# First start of the PostgreSQL container: the schema owner (not a superuser), the application
# role (no BYPASSRLS, owns nothing) and the database.
set -eu
psql -v ON_ERROR_STOP=1 -U postgres \
  -v owner_password="$CONTACTS_OWNER_PASSWORD" -v app_password="$CONTACTS_APP_PASSWORD" <<'SQL'
CREATE ROLE contacts_owner LOGIN CREATEROLE PASSWORD :'owner_password';
CREATE ROLE contacts_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD :'app_password';
CREATE DATABASE contacts OWNER contacts_owner;
SQL
