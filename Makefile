# folkevakt — `make run` starts the service on the embedded default with a
# demo organisation; `make test` runs vet and every test with the race
# detector. Both install what is missing (see .ci/deps).

GO        ?= go
BIN       := bin/folkevakt
DATA_DIR  ?= ./data
ADDR      ?= 127.0.0.1:8080
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo dev)

# The demo organisation (fictional; the organisation number is mod-11 valid).
DEMO_ORG  := 921000006:Storevik kommune:4627

export CGO_ENABLED := 1

.PHONY: all build run test vet fuzz bench load clean deps test-deps

all: build

deps:
	@bash .ci/deps

test-deps:
	@bash .ci/deps test

build: deps
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/folkevakt

# Tokens are generated once per data directory and kept in $(DATA_DIR)/demo.env
# (mode 0600) so that they stay the same across restarts.
run: build
	@mkdir -p $(DATA_DIR) && chmod 700 $(DATA_DIR)
	@if [ ! -f $(DATA_DIR)/demo.env ]; then \
		umask 077; \
		printf 'FOLKEVAKT_BOOTSTRAP_ADMIN_TOKEN=fvadmin_%s\nFOLKEVAKT_BOOTSTRAP_SCIM_TOKEN=fvscim_%s\n' \
			"$$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')" \
			"$$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')" > $(DATA_DIR)/demo.env; \
	fi
	@set -a; . $(DATA_DIR)/demo.env; set +a; \
	echo ""; \
	echo "folkevakt demo: Storevik kommune (org 921000006, kommune 4627), embedded synthetic register"; \
	echo ""; \
	echo "  Admin API  http://$(ADDR)/admin/api/v1   Bearer $$FOLKEVAKT_BOOTSTRAP_ADMIN_TOKEN"; \
	echo "  SCIM       http://$(ADDR)/scim/v2         Bearer $$FOLKEVAKT_BOOTSTRAP_SCIM_TOKEN"; \
	echo "  Web pages  http://$(ADDR)/               (sign in with the dev picker; console with the admin token)"; \
	echo "  Health     http://$(ADDR)/readyz"; \
	echo "  Tokens are kept in $(DATA_DIR)/demo.env; docs/getting-started.md walks through a first role and lookup."; \
	echo ""; \
	echo "First request:"; \
	echo "  curl -s -H 'Authorization: Bearer '$$FOLKEVAKT_BOOTSTRAP_ADMIN_TOKEN http://$(ADDR)/admin/api/v1/service-areas"; \
	echo ""; \
	FOLKEVAKT_BOOTSTRAP_ORG="$(DEMO_ORG)" exec ./$(BIN) serve --addr $(ADDR) --data-dir $(DATA_DIR) --log-format text

vet: deps
	$(GO) vet ./...

test: vet test-deps
	$(GO) test -race -count=1 -timeout 25m ./...

# Short fuzzing of every fuzz target (not part of `make test`).
fuzz: deps
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 20s ./gateway/freg/ident
	$(GO) test -run '^$$' -fuzz FuzzValidOrgNumber -fuzztime 20s ./gateway/freg/ident
	$(GO) test -run '^$$' -fuzz FuzzFilter -fuzztime 20s ./scim
	$(GO) test -run '^$$' -fuzz FuzzPatchPath -fuzztime 20s ./scim
	$(GO) test -run '^$$' -fuzz '^FuzzQuery$$' -fuzztime 20s ./gateway/freg
	$(GO) test -run '^$$' -fuzz '^FuzzCheckJSONDepth$$' -fuzztime 20s ./gateway/freg
	$(GO) test -run '^$$' -fuzz '^FuzzPersonJSON$$' -fuzztime 20s ./gateway/reduce

# The benchmarks behind the issue targets (figures in docs/performance.md).
bench: deps
	$(GO) test -run '^$$' -bench 'Generate|Person' -benchtime 1x ./gateway/freg/synth
	$(GO) test -run '^$$' -bench . -benchtime 200000x ./policy
	$(GO) test -run '^$$' -bench . ./store/sqlstore

clean:
	rm -rf bin
