# One target per habit. `make help` lists them.
VENV ?= .venv
PY := $(VENV)/bin/python
# The local AWS emulator lives in its own venv (see offline/requirements.txt).
EMULATOR_VENV := .venv-ministack
# The Python both venvs are made with: 3.11 or later. Another one: make demo PYTHON=python3.12
# (empty counts as unset: an empty command would make the check's line read as "ignore errors").
override PYTHON := $(or $(strip $(PYTHON)),python3)
# $(call check_python,INTERPRETER,ADVICE): said before anything is installed, instead of a
# resolver's error about some package's Python. Python 2 prints its version on stderr.
check_python = @$(1) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
  version=$$($(1) --version 2>&1) || version='not found'; \
  echo "error: this needs Python 3.11 or later, and $(1) is $$version. $(2)" >&2; exit 1; }
NAME_ANOTHER := Install one, or name it, as in: make demo PYTHON=python3.12
REMAKE_VENVS = Remove $(VENV) and $(EMULATOR_VENV), then run again (make demo PYTHON=python3.12 names another).
# app.py runs under the project's venv when the CDK CLI calls `python3 app.py`. The Node.js that
# package.json pins (Linux; elsewhere the machine's) runs the CDK CLI and jsii.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true
CDK := npx --no-install cdk
# Extra CLI arguments, e.g. make deploy CDK_ARGS="-c sandbox=true"
CDK_ARGS ?=

.PHONY: help install install-demo browser demo web test bench-test lint format lock bootstrap synth deploy destroy bench attack attack-install clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

install: $(VENV)/.installed node_modules/.installed $(EMULATOR_VENV)/.installed web/node_modules/.installed ## Python venvs, the pinned CDK CLI, the web page's packages

# Every install is from a lock (every version pinned, every file's hash checked); `make lock`
# writes the locks from the *.txt files. pip installs uv (itself from a lock), and uv the rest:
# the same checks, several times faster. Byte-code is compiled at install, as pip does, so no
# process compiles the libraries on import (aws-cdk-lib's modules are large).
PIP_INSTALL = -m pip install --quiet --disable-pip-version-check --require-hashes
UV := $(VENV)/bin/uv
UV_INSTALL = pip install --quiet --require-hashes --compile-bytecode

$(VENV)/.installed: $(VENV)/.demo-installed requirements-dev.lock
	$(UV) $(UV_INSTALL) --python $(PY) -r requirements-dev.lock
	touch $@

# The demo needs less than the tests: installing only that gets a newcomer to the CAPTCHA sooner.
$(VENV)/.demo-installed: requirements-demo.lock $(VENV)/.uv-installed
	$(call check_python,$(PY),$(REMAKE_VENVS))
	$(UV) $(UV_INSTALL) --python $(PY) -r requirements-demo.lock
	touch $@

$(VENV)/.uv-installed: requirements-uv.lock
	$(call check_python,$(PYTHON),$(NAME_ANOTHER))
	$(PYTHON) -m venv $(VENV)
	$(PY) $(PIP_INSTALL) -r requirements-uv.lock
	touch $@

install-demo: $(VENV)/.demo-installed node_modules/.installed $(EMULATOR_VENV)/.installed

$(EMULATOR_VENV)/.installed: offline/requirements.lock $(VENV)/.uv-installed
	$(PYTHON) -m venv $(EMULATOR_VENV)
	$(UV) $(UV_INSTALL) --python $(EMULATOR_VENV)/bin/python -r offline/requirements.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

# Ctrl-C is how the demo and the web page end (both stop the emulator first): its exit status
# 130 is no error of make's; any other failure keeps its status. The recipe's shell gets the
# Ctrl-C too: it waits (`trap :`, not ignoring it, which the program would inherit).
ENDED_BY_CTRL_C = status=$$?; [ $$status -eq 130 ] || exit $$status

demo: ## Deploy to a local AWS emulator and sign in (no AWS account needed)
	@$(MAKE) --no-print-directory -j3 install-demo
	@trap : INT; echo "$(PY) -m offline.demo $(DEMO_ARGS)"; $(PY) -m offline.demo $(DEMO_ARGS); $(ENDED_BY_CTRL_C)

web: install ## Serve the web sign-in page on 127.0.0.1 against a local deployment
	@trap : INT; echo "$(PY) -m offline.web $(WEB_ARGS)"; $(PY) -m offline.web $(WEB_ARGS); $(ENDED_BY_CTRL_C)

# The browser tests' Chromium, found or fetched the ecosystem's ways, in this order: $$CHROMIUM;
# a system Chromium headless shell, Chromium or Chrome; Playwright's own headless shell (where its
# servers can be reached); the distribution's package when running as root on Debian or Ubuntu:
# the headless shell where it is packaged (Debian 12 and later), else `chromium`. The headless
# shell is what Playwright runs headless tests on; it needs far less CPU than the full browser.
browser: install
	@if [ -n "$$CHROMIUM" ] || command -v chromium-headless-shell >/dev/null || command -v chromium >/dev/null \
	  || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; then :; \
	elif $(PY) -m playwright install --only-shell chromium >/dev/null 2>&1; then echo "Installed Playwright's Chromium headless shell"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Chromium from the distribution's packages"; \
	  apt-get update -qq && { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium-headless-shell fonts-dejavu-core >/dev/null 2>&1 \
	  || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium fonts-dejavu-core >/dev/null; }; \
	else echo "No browser for the browser tests: install Chromium, or set CHROMIUM=/path/to/chrome." >&2; exit 1; fi

# The benchmark harness's own smoke runs (tests/bench: a second deploy, synths, a suite inside the
# suite) would add about half again to the run's CPU: `make bench-test`, which CI runs.
# The page's unit tests are web/package.json's test script, run without npm's own start-up (~1.7 s).
test: install browser ## Every test of the sign-in: handlers, template, gates, end to end, browser (gets a Chromium if none)
	cd web && node --test
	$(PY) -m pytest --ignore=tests/bench

bench-test: install ## The benchmarks' and the attack harness's smoke runs (CI runs them after make test)
	$(PY) -m pytest tests/bench

lint: install ## ruff and mypy for the Python, ESLint and Prettier for the JavaScript
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	cd web && npm run lint

format: install ## Apply ruff's, ESLint's and Prettier's fixes and formatting
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .
	cd web && npm run format

lock: install ## Re-lock every requirements file (after editing a *.txt one), for every platform
	$(eval UV_COMPILE := $(VENV)/bin/uv pip compile --universal --generate-hashes --python-version 3.11 --quiet)
	$(UV_COMPILE) requirements-uv.txt -o requirements-uv.lock
	$(UV_COMPILE) requirements-demo.txt -o requirements-demo.lock
	$(UV_COMPILE) requirements-dev.txt -c requirements-demo.lock -o requirements-dev.lock
	$(UV_COMPILE) offline/requirements.txt -o offline/requirements.lock
	$(UV_COMPILE) lambdas/requirements.txt -o lambdas/requirements.lock

bootstrap: install ## Once per AWS account and region: `cdk bootstrap` (with your AWS credentials)
	$(CDK) bootstrap --no-notices $(CDK_ARGS)

synth: install ## Synthesize (and bundle) the stack into cdk.out
	$(CDK) synth --no-notices $(CDK_ARGS)

deploy: install ## Deploy to the AWS account and region of your credentials
	$(CDK) deploy --no-notices --require-approval broadening $(CDK_ARGS)

destroy: install ## Delete the stack (the pool stays unless deployed with sandbox=true)
	$(CDK) destroy --no-notices $(CDK_ARGS)

bench: install browser ## Benchmarks: time and cost beside their floors (writes bench/RESULTS.md)
	$(PY) -m bench --write

# The attack harness's learned attackers need torch (CPU build, ~1 GB installed): its own
# requirements file and target, never part of `make install`, `make test` or CI.
attack-install: install ## torch for the learned attackers of `make attack` (~1 GB; not needed by anything else)
	$(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements-attack.txt

attack: install ## Attack the shipped CAPTCHA as bench/RESULTS.md does (~1 hour on 2 cores; torch: make attack-install)
	$(PY) -m bench.attack image $(IMAGE_ATTACK_ARGS)
	$(PY) -m bench.attack audio $(AUDIO_ATTACK_ARGS)

clean: ## Remove build output
	rm -rf cdk.out .demo web/dist web/public/config.json test-artifacts .pytest_cache .mypy_cache .ruff_cache
