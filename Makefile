# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
RUN := PYTHONPATH=apps $(VENV)/bin/python

.PHONY: demo test test-fast lint docs benchmark home-assistant echo-server mosquitto chromium clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

# Home Assistant in .venv-ha (Python 3.13). Without Python 3.13 its tests are skipped, saying so.
home-assistant: $(STAMP)
	$(RUN) -m demo.homeassistant --install --optional

# laravel-echo-server (npm) for live updates, in build/echo-server. Without Node.js its tests are skipped, saying so.
echo-server: $(STAMP)
	$(RUN) -m demo.echo --install --optional

# Debian's mosquitto, the MQTT broker of the MQTT discovery tests and the demo, installed when this runs as root;
# otherwise (and not installed) those tests are skipped, saying so, and the demo runs without MQTT.
mosquitto: $(STAMP)
	$(RUN) -m demo.mosquitto --install --optional

# Debian's chromium for the dashboard screenshot test, when this runs as root; otherwise that test is skipped.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	  else echo "chromium is not installed: the screenshot test will be skipped (apt-get install chromium)"; fi; }

demo: $(STAMP) echo-server mosquitto
	$(RUN) -m demo

test: $(STAMP) home-assistant echo-server mosquitto chromium
	$(VENV)/bin/python -m pytest

test-fast: $(STAMP)
	$(VENV)/bin/python -m pytest -m "unit or integration"

# ruff (lint, format and the complexity gate), mypy --strict and the import layers, configured in pyproject.toml.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	PYTHONPATH=apps $(VENV)/bin/lint-imports --no-cache

# The documentation site (mkdocs-material, mkdocs.yml) in build/site, its tables first written from the code
# (tools/docs_tables.py); --strict fails on a broken link or anchor.
docs: $(STAMP)
	$(RUN) tools/docs_tables.py
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

benchmark: $(STAMP)
	$(VENV)/bin/python tools/benchmark.py --write-docs

clean:
	rm -rf $(VENV) .venv-ha build .pytest_cache
