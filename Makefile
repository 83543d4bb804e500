# Entry points of the checkout platform. Every target installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install install-bench test test-fast test-chaos lint typecheck check run start stop status env demo clean schemas bench bench-floors bench-replay

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## make test: the whole suite against real Kafka, Postgres and localstripe (started by the fixtures).
test: $(STAMP)
	$(PY) -m pytest --ignore=tests/chaos $(PYTEST_ARGS)

## make test-fast: the tier below the processes, in seconds: unit tests (tests/fast/unit), every application
## handler on the in-memory database (tests/fast), and the contract suites on it. Starts no server.
test-fast: $(STAMP)
	$(PY) -m pytest -p no:cacheprovider tests/fast tests/contract/test_in_memory.py \
		tests/contract/test_cart_tables.py::TestInMemoryCartTables tests/contract/test_data_keys.py::TestInMemoryDataKeys \
		tests/contract/test_consumer_tables.py::TestInMemoryConsumerTables \
		$(PYTEST_ARGS)

## make test-chaos: the fault-injection suite (tests/chaos: 1,000+ checkouts while services, a broker of
## three and PostgreSQL are killed, restarted or paused; scale-out to two instances). Prints its counts.
test-chaos: $(STAMP)
	$(PY) -m pytest tests/chaos -s $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy shared services devstack checkout_admin checkout_platform demo gateway bench

check: lint typecheck

## make schemas: regenerate the AsyncAPI and OpenAPI documents under docs/ (tests fail when they drift).
schemas: $(STAMP)
	$(PY) -m checkout_admin schemas --write

## make run: Postgres, Kafka, localstripe, every service and the nginx gateway, serving the Elastic Path
## API on http://127.0.0.1:8080 (GATEWAY_PORT) in the foreground until Ctrl-C. Prints the admin credentials.
run: $(STAMP)
	$(PY) -m devstack run

## make start / stop / status: the same, detached (start returns once everything is healthy;
## stop stops the gateway, then the services, then the servers). The data (every database, the Kafka
## log, localstripe's store, the generated secrets) stays in DEVSTACK_DATA_DIR (.devstack/data) across
## stop/start; logs are appended in .devstack/logs. DEVSTACK_FRESH=1 make start: begin empty.
start: $(STAMP)
	$(PY) -m devstack start

stop: $(STAMP)
	$(PY) -m devstack stop

status: $(STAMP)
	$(PY) -m devstack status

## make env: only the running stack's `export VAR=...` lines (DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, EP_URL,
## ...), so `eval "$(make env)"` is safe; nothing on stdout (and a failure) when no stack runs. No install step,
## whose command lines make would echo onto stdout: a stack runs only where `make start` installed it.
env:
	@test -x $(PY) || { echo "make env: no $(VENV); run make start first" >&2; exit 3; }
	@$(PY) -m devstack env

## make demo: a scripted checkout through the running gateway (make start first).
## DEMO_ARGS=-v prints each request it makes (method, path, status).
demo: $(STAMP)
	@if [ -z "$$EP_URL" ] && ! $(PY) -m devstack status >/dev/null 2>&1; then \
		echo "make demo: no stack is running; start one first with: make start"; exit 1; \
	else \
		$(PY) -m demo $(DEMO_ARGS); \
	fi

## make bench: the seed's whole checkout at rising concurrency, then a hot product, through the gateway of
## the running stack (or of one started and stopped for it); prints a table, writes bench/results.json
## and bench/results.png. BENCH_SECONDS (60) is how long the top step lasts; see bench/settings.py.
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install -q -e ".[dev,bench]"
	touch $(BENCH_STAMP)

install-bench: $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) -m bench

## make bench-floors: what one HTTP request, Kafka produce or fetch, and SQL round trip costs in CPU (client
## and server, from /proc), on the running stack (or one started for it); floors.json in BENCH_OUTPUT_DIR.
bench-floors: $(BENCH_STAMP)
	$(PY) -m bench.floors

## make bench-replay: projection rebuild and topic replay speed (events/s) over a large event store.
bench-replay: $(BENCH_STAMP)
	$(PY) -m bench.replay

## make clean: stop the stack, then delete its data (every database, the Kafka log, localstripe's store,
## the secrets: old tokens stop working), its logs and scratch files, naming each folder as it goes.
## Not the Kafka jars (~/.cache/checkout-platform) nor the virtualenv.
clean: stop
	$(PY) -m devstack clean

## Containers (issue 16): the images of Dockerfile, containers/kafka and containers/postgres, composed on the
## host network by containers/compose.yml. `make containers-engine` starts a private dockerd when root and
## no engine answers (--bridge=none --iptables=false) and prepares debian:bookworm-slim (pull, or
## debootstrap + import where no registry answers); `make containers-engine-stop` stops only that dockerd.
.PHONY: containers-engine containers-engine-stop containers-images containers-up containers-down test-containers
ENGINE := containers/engine.sh
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
HOST_COMPOSE = eval "$$($(ENGINE) env)" && $(COMPOSE) -p checkout-platform -f containers/compose.yml
## Extra CAs the builds trust (apt, pip, Maven behind a TLS-inspecting proxy): containers/ca-certificates/.
BUILD_CA_CERTS ?= $(wildcard /usr/local/share/ca-certificates/*.crt)
## Compose refuses to read the file without the secrets; build and down use none, so they get stand-ins.
STAND_INS := JWT_SECRET=unused CLIENT_SECRET=unused ORDER_ID_SECRET=unused STRIPE_WEBHOOK_SECRET=unused POSTGRES_PASSWORD=unused \
	PII_MASTER_KEY=unused \
	$(foreach p,ADMIN BROKER INTEGRATOR CART ORDER PAYMENT INVENTORY FULFILLMENT,KAFKA_$(p)_PASSWORD=unused)

containers-engine:
	$(ENGINE) start
	$(ENGINE) base-image

containers-engine-stop:
	$(ENGINE) stop

containers-images: containers-engine
	$(if $(BUILD_CA_CERTS),cp $(BUILD_CA_CERTS) containers/ca-certificates/)
	eval "$$($(ENGINE) env)" && env $(STAND_INS) $(COMPOSE) -p checkout-platform -f containers/compose.yml build

## make containers-up: the platform on http://127.0.0.1:8080 from the images (the secrets from the environment).
containers-up: containers-images
	$(HOST_COMPOSE) up -d

containers-down:
	eval "$$($(ENGINE) env)" && env $(STAND_INS) $(COMPOSE) -p checkout-platform -f containers/compose.yml down --remove-orphans

## make test-containers: the SDK workflow against the composed platform, and other teams' tests through
## checkout_platform.testing (testcontainers) with the same images (tests/containers; not in `make test`).
## A private dockerd this target started is stopped again at the end, pass or fail.
test-containers: $(STAMP)
	@before="$$($(ENGINE) env)"; status=0; \
	$(MAKE) containers-images && CHECKOUT_CONTAINER_TESTS=1 $(PY) -m pytest tests/containers $(PYTEST_ARGS) \
		|| status=$$?; \
	if [ -z "$$before" ]; then $(ENGINE) stop; fi; \
	exit $$status
