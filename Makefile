# Two commands: `make run` (set up everything, run one monthly cycle) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STATE  := .local
STAMP  := $(VENV)/.installed-$(shell cat constraints.txt pyproject.toml | cksum | cut -d' ' -f1)

export ITREPORT_HOME ?= $(CURDIR)/$(STATE)
export AIRFLOW_HOME ?= $(ITREPORT_HOME)/airflow
export AIRFLOW__CORE__LOAD_EXAMPLES ?= false
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: setup system-deps superset-venv run test lint format bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# Debian packages the tests use, installed only when running as root (CI): LibreOffice converts .doc files
# (otherwise antiword is the fallback); redis-server, dovecot-imapd and chromium are the stack test's broker,
# mailbox and browser (tests/stack); Chromium also opens the annual results page (tests/reports/annual).
SYSTEM_PACKAGES := soffice:libreoffice-writer-nogui redis-server:redis-server dovecot:dovecot-imapd chromium:chromium
system-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		missing=""; \
		for pair in $(SYSTEM_PACKAGES); do \
			command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; \
		done; \
		if [ -n "$$missing" ]; then \
			echo "Installing$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
				$$missing >/dev/null; \
		fi; \
	fi

# Superset for the stack test's BI check, in its own virtualenv: it needs SQLAlchemy < 2, Airflow needs 2.
SUPERSET_VENV := .venv-superset
SUPERSET_STAMP := $(SUPERSET_VENV)/.installed-$(shell cat docker/superset/constraints.txt | cksum | cut -d' ' -f1)

superset-venv: $(SUPERSET_STAMP)

$(SUPERSET_STAMP): docker/superset/constraints.txt
	@test -x $(SUPERSET_VENV)/bin/python || $(PYTHON) -m venv $(SUPERSET_VENV)
	$(SUPERSET_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c docker/superset/constraints.txt \
		apache-superset psycopg2-binary rich cachetools flask-caching
	@rm -f $(SUPERSET_VENV)/.installed-*
	@touch $@

# `make run YEAR=2009` closes every month of that year on sample mail, then writes its annual evaluation.
run: setup
	$(BIN)/itreport demo $(if $(YEAR),--year $(YEAR))

# The two virtualenvs and the system packages are installed side by side: on CI's clean machine they take minutes.
test:
	@$(MAKE) --no-print-directory -j3 setup system-deps superset-venv
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	eval "$$($(BIN)/itreport db env)" && $(BIN)/sqlfluff lint dbt_project/models

bench: setup
	$(BIN)/python -m bench.run

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	eval "$$($(BIN)/itreport db env)" && $(BIN)/sqlfluff fix dbt_project/models

clean:
	-$(BIN)/itreport db stop
	rm -rf $(STATE)
