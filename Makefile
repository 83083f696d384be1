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

.PHONY: setup system-deps run test lint format bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# LibreOffice converts .doc files. Installed only when running as root (CI); otherwise antiword is the fallback.
system-deps:
	@if ! command -v soffice >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing LibreOffice (writer, headless) for .doc conversion"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			libreoffice-writer-nogui >/dev/null; \
	fi

run: setup
	$(BIN)/itreport demo

test: setup system-deps
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
