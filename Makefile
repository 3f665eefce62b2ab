# The two commands of the README: `make run` (the service on an embedded PostgreSQL) and
# `make test` (the whole suite against a throwaway PostgreSQL). Each installs what it needs.
SWIFT ?= swift

.PHONY: deps run build release test test-deps compose-check bench bench-deps

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product contacts

# The API on http://127.0.0.1:8080, on a private PostgreSQL in ./var (DATABASE_URL to use another).
run: release
	.build/release/contacts serve

test-deps:
	@scripts/install-deps.sh docker-compose

# The deployment files must at least parse.
compose-check: test-deps
	docker-compose -f docker-compose.yml config -q

test: test-deps compose-check
	scripts/with-test-postgres.sh $(SWIFT) test

bench-deps:
	@scripts/install-deps.sh wrk

# Figures, not assertions: the service against pgbench on one server with PostgreSQL's production
# defaults (fsync and synchronous_commit on).
bench: bench-deps release
	PG_DURABLE=1 scripts/with-test-postgres.sh scripts/bench.sh
