"""Superset settings for the IT-report dashboard: secrets from the environment, metadata in SQLite on a volume."""

import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
HOME = os.environ.get("SUPERSET_HOME", "/app/superset_home")
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_METADATA_URL", "sqlite:///" + os.path.join(HOME, "superset.db"))
WTF_CSRF_ENABLED = True
FEATURE_FLAGS = {"DASHBOARD_RBAC": False}
BABEL_DEFAULT_LOCALE = "en"
