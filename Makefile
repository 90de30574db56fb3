# Two commands on a fresh machine: `make demo` and `make test`.
VENV    ?= .venv
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip
DEMO_DB ?= demo.db
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test journeys lint bench venv browser hub-proxy clean messages

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	@# rfc3987-syntax compiles Lark grammars on every Jupyter import (0.8 s per kernel,
	@# jupyter-stack.md); it is an optional format checker nothing here uses.
	-$(PIP) uninstall -y -q rfc3987-syntax lark
	touch $@

venv: $(VENV)/.installed

## make demo: build the demo collaborative in its own file (demo.db, never the default
## workbench.db), validate it, write every team's report, serve the apps
demo: venv
	$(VENV)/bin/workbench demo --force --db $(DEMO_DB)

## browser: Debian chromium for the Voilà tests (apt, when root or with sudo)
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian chromium for the browser tests"; \
	  ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium) \
	    || echo "chromium could not be installed: browser tests will be skipped"; \
	fi

## hub-proxy: configurable-http-proxy (npm) for JupyterHub, in .hub/ (workbench hub init
## and tests/hub find it there)
hub-proxy: .hub/node_modules/.bin/configurable-http-proxy

.hub/node_modules/.bin/configurable-http-proxy:
	npm install --silent --no-audit --no-fund --prefix .hub configurable-http-proxy@5

lint: venv
	$(VENV)/bin/ruff check .

## make test: lint, types (mypy), the import contracts (pyproject's [tool.importlinter]: layers, pure
## analytics, SQL in store/, no cycles), then the whole test suite (unit, papermill, nbval, browser)
test: venv browser hub-proxy lint
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q
	$(VENV)/bin/pytest -q --nbval-lax notebooks

## make journeys: only the user journeys (tests/journeys: `workbench serve` in Chromium);
## `make test` runs them too. Screenshots: tests/journeys/artifacts/<journey>/
journeys: venv browser
	$(VENV)/bin/pytest -q tests/journeys

## make bench: every benchmark in benchmarks/ (each runs with no arguments)
bench: venv
	@set -e; for bench in benchmarks/bench_*.py; do echo "== $$bench"; $(PY) $$bench; done

## make messages: extract the marked strings (pyproject's [tool.babel]) into the template
## catalogue, merge it into every language's .po (translate the new entries there), compile .mo
LOCALE := workbench/i18n/locale
messages: venv
	$(VENV)/bin/pybabel extract -F pyproject.toml -k N_ -k ngettext:1,2 -k pgettext:1c,2 \
	  --no-location --sort-output --project coaching-workbench -o $(LOCALE)/workbench.pot .
	$(VENV)/bin/pybabel update -D workbench -i $(LOCALE)/workbench.pot -d $(LOCALE) \
	  --ignore-obsolete --no-fuzzy-matching
	$(VENV)/bin/pybabel compile -D workbench -d $(LOCALE) --statistics

clean:
	rm -rf $(VENV) reports build *.egg-info
