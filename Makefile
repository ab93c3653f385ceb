# The two commands: `make run` (zero-setup demo) and `make test` (all quality gates).
# Only Python 3.11 and make are needed; everything else is installed into .venv.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ADDR ?= 127.0.0.1:8000

.PHONY: run test venv lint migrate demo translations sysdeps pdfdeps clean

venv: $(STAMP)

$(STAMP): pyproject.toml requirements/constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "Python 3.11 is required (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[dev]"
	touch $(STAMP)

translations: venv
	$(BIN)/python manage.py compiletranslations

migrate: venv
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py evaluate_compliance > /dev/null

run: pdfdeps translations demo
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runstack --addr $(ADDR)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# GNU gettext (xgettext) lets the tests check that every string in the code is translated;
# Debian's Chromium runs the browser tests (Playwright never downloads a browser here);
# Pango and a font let WeasyPrint write the annual report's PDF.
sysdeps: pdfdeps
	@missing=""; command -v xgettext >/dev/null 2>&1 || missing="gettext"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Install with apt-get install $$missing (translation check, browser tests, PDF)."; fi; \
	fi

pdfdeps:
	@missing=""; \
	ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || missing="libpango-1.0-0 libpangoft2-1.0-0"; \
	[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Install with apt-get install $$missing (the annual report's PDF)."; fi; \
	fi

test: sysdeps lint translations
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml
	$(BIN)/python -m pytest --numprocesses auto --maxprocesses 4

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
