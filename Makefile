# The two commands of the README: `make demo` and `make test`. Everything else is set up by them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9

export PATH := $(VENV)/bin:$(PATH)
export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__DEFAULT_TIMEZONE := Asia/Shanghai
export AIRFLOW__LOGGING__LOGGING_LEVEL ?= WARNING
export GRASSROOTS_HOME ?= $(CURDIR)/data

.PHONY: install system-deps demo test lint bench templates clean ui

# Bytecode compiled at install (uv does not; pip does in the production image): without it every
# task process compiles what it imports again when PYTHONDONTWRITEBYTECODE is set (GX: seconds).
$(VENV)/.installed: requirements.txt pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install -q --python $(PY) -r requirements.txt
	$(VENV)/bin/uv pip install -q --python $(PY) --no-deps -e .
	$(PY) -m compileall -q -j 0 $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
		> /dev/null 2>&1 || true  # a package's own Python 2 leftovers (olefile2.py) do not compile: not ours
	@touch $@

# Debian packages: a CJK font for the report's charts, Chromium for the rendering tests, OpenSSH's
# server (the SFTP inbox and file store of the tests), iproute2 and socat (the several-hosts test),
# LibreOffice Writer and poppler-utils for the 通报 draft's rendering test (.docx -> PDF -> PNG), and
# LibreOffice Calc (headless) to check that receipts and templates open cleanly.
system-deps:
	@{ fc-list 2>/dev/null | grep -qi "Noto Sans CJK" && test -x /usr/bin/chromium && test -x /usr/sbin/sshd \
		&& command -v ip > /dev/null && command -v socat > /dev/null; } || { \
		echo "installing Debian packages: fonts-noto-cjk chromium openssh-server iproute2 socat"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk chromium \
			openssh-server iproute2 socat > /dev/null; }
	@{ command -v soffice && command -v pdftoppm && dpkg -s libreoffice-calc-nogui; } > /dev/null 2>&1 || { \
		echo "installing Debian packages: libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils > /dev/null; }

install: system-deps $(VENV)/.installed

$(AIRFLOW_HOME)/airflow.db: $(VENV)/.installed
	@mkdir -p $(AIRFLOW_HOME)
	airflow db migrate > /dev/null
	airflow pools set warehouse_writes 1 "grassroots warehouse merges, one at a time" > /dev/null

# The demo: a fresh demo home, the demo inbox, the DAGs run end to end with `airflow dags test`,
# the reports mailed to a local SMTP sink that writes them to the outbox.
DEMO_AS_OF ?= 2026-11-27
DEMO_MONTH_END ?= 2026-11-30
DEMO_SMTP_PORT ?= 8025
DEMO_ENV = GRASSROOTS_SETTLE_SECONDS=0 GRASSROOTS_RETRIES=0 GRASSROOTS_DEADLINE_FACTOR=0 \
	GRASSROOTS_REPLY_TO="基层走访工作专班 <campaign-office@example.gov.cn>"
demo: install $(AIRFLOW_HOME)/airflow.db
	@rm -rf $(GRASSROOTS_HOME) && mkdir -p $(GRASSROOTS_HOME)/logs
	$(PY) -m grassroots demo-data
	@echo "== airflow dags test ingest_district_files   (log: $(GRASSROOTS_HOME)/logs/)"
	@$(DEMO_ENV) airflow dags test ingest_district_files > $(GRASSROOTS_HOME)/logs/ingest_district_files.log 2>&1 \
		|| { tail -40 $(GRASSROOTS_HOME)/logs/ingest_district_files.log; exit 1; }
	@$(PY) -m grassroots status
	@echo "== airflow dags test compute_metrics (as of $(DEMO_AS_OF))"
	@$(DEMO_ENV) airflow dags test compute_metrics -c '{"as_of": "$(DEMO_AS_OF)"}' \
		> $(GRASSROOTS_HOME)/logs/compute_metrics.log 2>&1 || { tail -40 $(GRASSROOTS_HOME)/logs/compute_metrics.log; exit 1; }
	@$(PY) -m grassroots metrics --as-of $(DEMO_AS_OF)
	@echo "== airflow dags test send_summary_report, to a local SMTP sink on 127.0.0.1:$(DEMO_SMTP_PORT)"
	@$(PY) -m grassroots.mail.sink --port $(DEMO_SMTP_PORT) > $(GRASSROOTS_HOME)/logs/smtp_sink.log 2>&1 & sink=$$!; \
		sleep 2; \
		AIRFLOW_CONN_SMTP_DEFAULT='$(shell $(PY) -c "from grassroots.mail.sink import airflow_connection as c; print(c($(DEMO_SMTP_PORT)))" 2>/dev/null)' \
		$(DEMO_ENV) airflow dags test send_summary_report -c '{"as_of": "$(DEMO_AS_OF)", "period": "week"}' \
		> $(GRASSROOTS_HOME)/logs/send_summary_report.log 2>&1; status=$$?; kill $$sink; wait $$sink 2>/dev/null; \
		if [ $$status -ne 0 ]; then tail -40 $(GRASSROOTS_HOME)/logs/send_summary_report.log; exit 1; fi
	@$(PY) -m grassroots report --as-of $(DEMO_AS_OF)
	@echo "== the November 通报 draft (.docx) into the outbox"
	@$(PY) -m grassroots report --as-of $(DEMO_MONTH_END) --period month --docx | grep '\.docx$$'
	@echo "== the open export (CSV + datapackage.json) of $(DEMO_AS_OF), checked by frictionless"
	@$(PY) -m grassroots export --as-of $(DEMO_AS_OF) --format csv --out $(GRASSROOTS_HOME)/export > /dev/null
	@$(VENV)/bin/frictionless validate $(GRASSROOTS_HOME)/export/datapackage.json > $(GRASSROOTS_HOME)/logs/export_validation.log \
		&& echo "$(GRASSROOTS_HOME)/export/datapackage.json: valid" || { tail -20 $(GRASSROOTS_HOME)/logs/export_validation.log; exit 1; }
	@echo "== mailed: $$(ls $(GRASSROOTS_HOME)/outbox/sent | wc -l) messages in $(GRASSROOTS_HOME)/outbox/sent/"
	@ls -1 $(GRASSROOTS_HOME)/outbox/sent | head -3
	@echo "== UI: make ui, then http://localhost:8080 (DAGs, and the operators' page 基层走访)"

# Everything but the real-scheduler run, then that run (it starts Airflow with Celery on the local
# PostgreSQL and Redis: slower, and alone so it has the machine to itself).
test: install
	$(VENV)/bin/ruff check grassroots dags plugins tests bench
	$(PY) -m pytest -q -p no:cacheprovider -m "not slow"
	$(PY) -m pytest -q -p no:cacheprovider -m slow

lint: install
	$(VENV)/bin/ruff check grassroots dags plugins tests bench

bench: install
	$(PY) -m bench

templates: install
	$(PY) -m grassroots template --out templates

clean:
	rm -rf $(GRASSROOTS_HOME) $(AIRFLOW_HOME) .pytest_cache

# The Airflow UI on the demo home (admin password printed at start-up).
ui: install $(AIRFLOW_HOME)/airflow.db
	airflow standalone
