#!/bin/bash
# PostgreSQL's docker-entrypoint runs this once, on an empty data volume, after creating the Airflow metadata
# database (POSTGRES_DB). It creates the separate warehouse database and its roles from warehouse.sql.
set -euo pipefail
psql --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v loader_password="$ITREPORT_LOADER_PASSWORD" \
  -v dbt_password="$ITREPORT_DBT_PASSWORD" \
  -v bi_reader_password="$ITREPORT_BI_READER_PASSWORD" \
  -v warehouse_db="${ITREPORT_WAREHOUSE_DB:-itreport}" \
  -f /docker-entrypoint-initdb.d/warehouse.sql.in
