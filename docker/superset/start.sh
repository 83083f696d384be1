#!/bin/bash
# Superset's start: migrate its metadata, make the admin, import the dashboard YAML (overwriting, so the YAML in the
# repository is the dashboard), then serve. The bi_reader password goes into the database YAML here, never into git.
set -euo pipefail
superset db upgrade
superset fab create-admin --username "${SUPERSET_ADMIN_USER}" --password "${SUPERSET_ADMIN_PASSWORD}" \
  --firstname Admin --lastname IT --email admin@localhost >/dev/null 2>&1 || true
superset init
work="$(mktemp -d)"
cp -r /app/itreport-dashboards/. "$work/"
python3 /app/itreport-dashboards/render.py "$work" \
  "postgresql+psycopg2://bi_reader@${ITREPORT_BI_HOST}:5432/${ITREPORT_WAREHOUSE_DB}" "${ITREPORT_BI_READER_PASSWORD}"
superset import-directory --overwrite "$work"
rm -rf "$work"
exec /usr/bin/run-server.sh
