# Two commands on a bare machine (Python 3.11+ and make): `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SERVICES = eval "$$($(PY) scripts/dev_services.py)"
# The port `make run` serves on. Exported so that the banner, gunicorn and honcho (which would otherwise hand its
# first process port 5000) all use the same one.
PORT ?= 8000
export PORT

.PHONY: run stop test lint typecheck check bench bench-peer venv clean-data chromium scale-up scale-down test-scale \
	alerts-check dashboard-image

venv: $(STAMP)

$(STAMP): requirements/base.txt requirements/local.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/local.txt
	touch $(STAMP)

run: venv
	@$(SERVICES) && \
	export DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.local} && \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py bootstrap && \
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho start -f Procfile

# Stops the embedded PostgreSQL and Redis that `make run` / `make test` started under .data/ (if any).
stop: venv
	$(PY) scripts/dev_services.py stop

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: venv
	$(BIN)/mypy .

check: venv
	@$(SERVICES) && export DJANGO_SETTINGS_MODULE=config.settings.test && \
	$(PY) manage.py makemigrations --check --dry-run && \
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

# Browser tests use Debian's Chromium; Playwright is pointed at it and never downloads a browser of its own.
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The alerting rules (deploy/prometheus/alerts.yml) and Prometheus's configuration, checked with Debian's promtool:
# the rules parse, their unit tests (alerts_test.yml: each alert fires over its threshold, stays quiet under it)
# pass, and the configuration is valid with its token file in place (the compose service writes it at start).
PROMTOOL_DIR := deploy/prometheus
alerts-check:
	@command -v promtool >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus; }
	promtool check rules $(PROMTOOL_DIR)/alerts.yml
	cd $(PROMTOOL_DIR) && promtool test rules alerts_test.yml
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && cp $(PROMTOOL_DIR)/alerts.yml "$$tmp/" && \
	printf 'check' > "$$tmp/metrics_token" && \
	sed "s#credentials_file: /tmp/metrics_token#credentials_file: $$tmp/metrics_token#" \
		$(PROMTOOL_DIR)/prometheus.yml > "$$tmp/prometheus.yml" && \
	promtool check config "$$tmp/prometheus.yml"

# docs/img/dashboard.png: the Grafana dashboard's panels (deploy/grafana/dashboards/shop.json), each drawn from its
# own queries against a real Prometheus scraping this project's server under a few minutes of traffic
# (scripts/render_dashboard.py; Debian's prometheus and chromium, installed when missing).
dashboard-image: venv chromium
	@command -v prometheus >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus; }
	@$(SERVICES) && $(PY) scripts/render_dashboard.py

# Tests run on TEST_WORKERS pytest-xdist workers, each with its own test database and Redis databases; the coverage
# report is printed and the run fails below COVERAGE_FLOOR percent.
TEST_WORKERS ?= 2
COVERAGE_FLOOR ?= 91

# Then tests/scale against the scaled setup (make test-scale), which stops and starts its own pieces.
test: lint typecheck check schema-check alerts-check chromium
	@$(SERVICES) && $(BIN)/pytest --create-db -n $(TEST_WORKERS) --dist worksteal --ignore=tests/scale \
		--cov --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)
	@$(MAKE) --no-print-directory test-scale

# Regenerates schema/ from a database migrated from scratch and diffs it, then runs `alembic check` on it.
.PHONY: schema-check
schema-check: venv
	@$(SERVICES) && export DJANGO_SETTINGS_MODULE=config.settings.test && \
	$(PY) manage.py export_schema --check

bench: venv
	@$(SERVICES) && $(PY) bench/run_all.py

# This shop against django-oscar + django-oscar-api (their own virtual environment under .data/peer, their own
# database), same data size and server, interleaved rounds; writes bench/results/peer.md.
bench-peer: venv
	@$(SERVICES) && $(PY) bench/peer.py

# The scaled setup on this machine, without Docker (docs/scaling.md): PostgreSQL primary + streaming replica, Redis
# master + replica + 3 Sentinels, two web nodes behind nginx, a Celery worker and beat on RabbitMQ, all under
# .data/scale/<port> on ports from SCALE_PORT_BASE (19900). The last line scale-up prints is one JSON object.
scale-up: venv
	@$(PY) -m scripts.scale.topology up

scale-down: venv
	@$(PY) -m scripts.scale.topology down

# tests/scale against that setup (started and stopped by the tests unless one is already running).
test-scale: venv
	@$(SERVICES) && $(BIN)/pytest tests/scale -p no:xdist -q

clean-data:
	rm -rf .data
