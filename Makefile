# The two commands of the README: `make run` (the service on an embedded PostgreSQL) and
# `make test` (the whole suite against a throwaway PostgreSQL). Each installs what it needs.
SWIFT ?= swift

.PHONY: deps docs-ui run build release lint test test-deps compose-check bench bench-deps

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product contacts

# Swagger UI for GET /docs: fetched from PyPI (pinned, checked by its hash) into .build/swagger-ui.
docs-ui:
	@scripts/install-swagger-ui.sh

# The API on http://127.0.0.1:8080, on a private PostgreSQL in ./var (DATABASE_URL to use another).
run: release docs-ui
	.build/release/contacts serve

# chromium: DocsTests load GET /docs in a headless browser.
test-deps: docs-ui
	@scripts/install-deps.sh docker-compose chromium
	@scripts/install-webhook-receiver.sh >/dev/null

# The deployment files must at least parse.
compose-check: test-deps
	docker-compose -f docker-compose.yml config -q

# The HTTP contract (and the CSV import) on Citus: the suites that hold on any cluster, and what
# only Citus shows; last and alone, CitusGrowthTests grows that cluster under load with the
# README's runbook (it adds a worker and restarts one).
# Left out there: the live CPU-bound probe (it measures the service, not the database, and the
# three nodes share the same two cores).
CITUS_SUITES = CreateContactTests|ChangeFeedTests|WebhookTests|CSVImportTests|RestOfTheAPITests|CrossTenantTests|FieldValidationTests|HostileInputTests|OneCallWriteTests|CitusTests|SchemaHistoryTests|AddressingTests|TagsTests|IdempotencyTests
CITUS_SKIP = theWorstInputOfEachFieldDoesNotStallOtherRequests

# The whole suite on one PostgreSQL; the served OpenAPI document against the service, by the
# pinned Schemathesis (0 findings, schemathesis.toml); then the contract on a Citus coordinator
# with two workers (Citus is built from vendor/citus once per machine, outside the clone).
# Built with the OTLP exporter (the trait the Dockerfile enables), so its test runs.
TEST_TRAITS = --traits OTLPTracing

# The bulk suites (import jobs, exports: thousands of rows each) run on their own, after the rest:
# beside them, the suites that bound a request's time would measure their load instead.
BULK_SUITES = ImportJobTests|ExportTests
# Suites that happen in real time are tagged .realClock (Tests/TestSupport/Tags.swift); those below
# also measure time under load, so they run apart. (Tried: the bulk and webhook suites beside the
# rest failed four bounds that prove denial-of-service fixes, a huge phone answered in 7.0 s
# against 5, the pool's 2 s acquire bound: the two cores' load, not a clock a test could move.)
# The attacks on the bulk paths: slow and stalled clients timed against another workspace's
# requests, and a process's peak memory around one job. One test at a time, in a process of their
# own: beside other suites they would measure those suites' load. The webhook suite too: it starts
# receivers and service processes, whose start-up load made the timed fault tests beside it flaky.
# The driver's and the pool's timing bounds (a cancelled call leaves within a second, a waiter
# queues behind a 3 s call): together on their own, a few seconds; beside 200 other tests on two
# cores they measured the others' load instead (a 2 s acquire bound missed).
DRIVER_SUITES = SharedSessionTests|NonBlockingDriverTests|PoolTests
ALONE_SUITES = BulkAttackTests|BulkNeighbourTests|MemoryBoundTests|ImportRestartTests|WebhookTests

# The toolchain's swift-format, with .swift-format (4 spaces, 140 columns; OnlyOneTrailingClosureArgument
# off: the test helpers take a configuration closure and then a body, `withLiveService({ … }) { … }`).
# --strict: without it, lint exits 0 on findings.
lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

test: test-deps compose-check lint
	@echo "building the tests (a first build takes some minutes)"
	$(SWIFT) build $(TEST_TRAITS) --build-tests --quiet
	scripts/with-test-postgres.sh $(SWIFT) test $(TEST_TRAITS) --skip-build --skip 'CitusTests|CitusGrowthTests|$(BULK_SUITES)|$(ALONE_SUITES)|$(DRIVER_SUITES)'
	scripts/with-test-postgres.sh bash -c "$(SWIFT) test $(TEST_TRAITS) --skip-build --filter '$(DRIVER_SUITES)' \
	  && $(SWIFT) test $(TEST_TRAITS) --skip-build --filter '$(BULK_SUITES)' \
	  && $(SWIFT) test $(TEST_TRAITS) --skip-build --no-parallel --filter '$(ALONE_SUITES)'"
	scripts/with-test-postgres.sh scripts/schemathesis.sh
	scripts/with-citus.sh bash -c "$(SWIFT) test $(TEST_TRAITS) --skip-build --filter '$(CITUS_SUITES)' --skip '$(CITUS_SKIP)' \
	  && $(SWIFT) test $(TEST_TRAITS) --skip-build --filter '$(BULK_SUITES)' \
	  && $(SWIFT) test $(TEST_TRAITS) --skip-build --no-parallel --filter CitusGrowthTests"

bench-deps:
	@scripts/install-deps.sh wrk

# Figures, not assertions: the service against pgbench on one server with PostgreSQL's production
# defaults (fsync and synchronous_commit on).
bench: bench-deps release
	$(SWIFT) build -c release --product contacts-bench
	PG_DURABLE=1 scripts/with-test-postgres.sh scripts/bench.sh
	PG_DURABLE=1 scripts/with-test-postgres.sh scripts/bench-sync.sh
	PG_DURABLE=1 scripts/with-test-postgres.sh scripts/bench-tags.sh
	PG_DURABLE=1 scripts/with-citus.sh scripts/bench-citus.sh
	python3 bench/targets.py $$(cat .build/bench/figures)
