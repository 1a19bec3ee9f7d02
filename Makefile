# zhucun — 驻村干部管理系统. `make run` serves the demo; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint messages clean-db bench reliability backup-check screenshots excel-pdf

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@# The background worker (large exports) runs beside the web server and stops with it.
	$(PY) manage.py export_worker & WORKER=$$!; trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	@command -v chromium >/dev/null || test -x /usr/bin/chromium || \
	  echo "NOTE: no chromium found: the browser tests (tests/browser) are SKIPPED. Install Debian's chromium to run them."
	$(VENV)/bin/pytest --create-db -q -rs

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=staticfiles
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): requirements-bench.txt requirements.txt $(STAMP)
	$(VENV)/bin/pip install --quiet -r requirements-bench.txt
	touch $(BENCH_STAMP)

# Province-scale benchmark (issue 7): seeds its own database once, prints a table, writes bench/results.json;
# then the Excel form writer against bare openpyxl (issue 15), writes bench/excel_export.json; the
# supervision simulation (issue 17); the cadre's pages and the month-end burst (issue 16); the appraisal
# round's printed forms, HTML and PDF, for 250 people (issue 18, bench/appraisal_forms.json).
bench: $(BENCH_STAMP)
	$(PY) bench/province.py
	$(PY) bench/excel_export.py
	$(PY) bench/supervision_sim.py
	$(PY) bench/cadre_pages.py
	$(PY) bench/appraisal_forms.py

# Load and fault script (issue 8) and the mixed race drill (issue 14): each on its own embedded
# PostgreSQL, loopback only, bounded in time.
reliability: $(BENCH_STAMP)
	$(PY) bench/load_fault.py
	$(PY) bench/race_drill.py

# Backup and restore drill: pg_dump, pg_restore into a fresh database, compare counts.
backup-check: $(BENCH_STAMP)
	$(PY) bench/backup_restore.py

# Home-page screenshots under docs/screenshots/ from the demo data (needs Debian's chromium).
screenshots: $(STAMP)
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8001 --noreload & SERVER=$$!; trap 'kill $$SERVER 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 1 30); do curl -fs -o /dev/null http://127.0.0.1:8001/accounts/login/ && break; sleep 1; done; \
	$(PY) docs/screenshots/capture.py

# Every Excel export of the demo data printed by LibreOffice: first pages as docs/screenshots/excel-*.png
# (needs soffice and pdftoppm; issue 15).
excel-pdf: $(STAMP)
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py seed_demo
	$(PY) bench/excel_pdf.py
