# DanhGia — `make run` starts the demo, `make test` runs every test. Nothing to install by hand.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
# Tests run in parallel (pytest-xdist), one worker per core of the 2-core machines.
PYTEST_WORKERS ?= 2

# Local overrides (see .env.example); the demo runs with DEBUG on unless told otherwise.
-include .env
export
DEBUG ?= 1
DEMO_PASSWORD ?= danhgia-demo
export DEBUG DEMO_PASSWORD

.PHONY: install install-dev system-deps run worker web test test-fast lint format migrations-check ci clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Debian packages the tests need: Chromium for the browser tests, the Liberation fonts for the PDFs,
# pdftotext to read them back. Installed with apt-get when we can; in CI a missing browser fails.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	fc-list 2>/dev/null | grep -qi "Liberation Serif" || missing="$$missing fonts-liberation"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing$$missing with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Cannot install$$missing (not root, no sudo): install them with apt-get."; \
	  fi; \
	fi; \
	if [ "$$CI" = "true" ] && ! command -v chromium >/dev/null 2>&1; then \
	  echo "CI: chromium is required for the browser tests and could not be installed." >&2; exit 1; \
	fi

var:
	mkdir -p var

run: install | var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py seed_demo_history --if-empty
	$(BIN)/python manage.py setup_schedules
	@echo ""
	@echo "DanhGia is starting at http://$(HOST):$(PORT)  (Ctrl+C stops web and worker)"
	@echo "Demo logins, password: $(DEMO_PASSWORD)"
	@echo "  admin             superuser (Django admin at /admin/)"
	@echo "  demo.hr           HR officer for the whole city"
	@echo "  demo.giamdoc      head of Sở Tài chính (STC)"
	@echo "  demo.truongphong  head of division STC-TH"
	@echo "  demo.nhanvien     civil servant, staff of STC-TH"
	@echo "  demo.hieutruong   head of school THCS-DEMO"
	@echo "  demo.giaovien     teacher (viên chức) at THCS-DEMO"
	@echo "  demo.chutich      commune chairman (quarterly rated)"
	@echo "  demo.ngoai        staff of another department (sees none of the above)"
	@echo "  demo.ubndtp       city chairman: decides heads of departments, handles complaints"
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/python manage.py qcluster & \
	$(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

test: install-dev system-deps
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

test-fast: install-dev
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not e2e"

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var
