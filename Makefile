# Entry points of the checkout platform. Every target installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck check run start stop status clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## make test: the whole suite against real Kafka, Postgres and localstripe (started by the fixtures).
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy shared services devstack checkout_admin demo

check: lint typecheck

## make run: start Postgres, Kafka, localstripe (and the services) in the foreground until Ctrl-C.
run: $(STAMP)
	$(PY) -m devstack run

## make start / stop / status: the same, detached.
start: $(STAMP)
	$(PY) -m devstack start

stop: $(STAMP)
	$(PY) -m devstack stop

status: $(STAMP)
	$(PY) -m devstack status

clean: stop
	rm -rf .devstack
