# The two commands of the README: `make run` (the service on an embedded PostgreSQL) and
# `make test` (the whole suite against a throwaway PostgreSQL). Each installs what it needs.
SWIFT ?= swift

.PHONY: deps test build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

test: deps
	scripts/with-test-postgres.sh $(SWIFT) test
