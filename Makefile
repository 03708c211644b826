# scalechat — see README.md. `make run` and `make test` do all set-up on a fresh machine.
GO      ?= go
BIN     := bin/scalechat
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/scalechat/scalechat/app.Version=$(VERSION)
PORT    ?= 8080

.PHONY: build web run test test-go test-node test-web node-deps lint fuzz generate cluster bench bench-quick bench-sequencer bench-history bench-search bench-pipeline soak clean

# The binary embeds the web app (web/dist/app), so building it builds the app first (needs Node 20.19+ and npm).
build: web
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

# The web app: its locked dependencies, then the Vite build into web/dist/app.
web:
	cd web && npm ci --no-audit --no-fund && npm run build

# Versity S3 Gateway (Apache 2.0), the S3-compatible server the S3 blob store's tests run against, into Go's bin
# directory; skipped when it is there already.
S3_SERVER_VERSION ?= v1.8.0
.PHONY: s3-server
s3-server:
	@bin=$$($(GO) env GOPATH)/bin/versitygw; \
	  if [ -x "$$bin" ]; then echo "s3-server: $$bin is installed"; \
	  else echo "s3-server: go install github.com/versity/versitygw/cmd/versitygw@$(S3_SERVER_VERSION)"; \
	    $(GO) install github.com/versity/versitygw/cmd/versitygw@$(S3_SERVER_VERSION); fi

run: build
	./$(BIN) serve --role standalone --addr :$(PORT) --data-dir ./data

test: lint test-go fuzz test-node test-web

# Go tests; test/cluster drives the official socket.io-client too, so test/node's packages come first.
# Unit and adapter packages run in parallel; the end-to-end packages under test/ each start many processes
# (clusters of gateways, workers, brokers), so they run one package at a time on a 2-core machine.
test-go: node-deps s3-server
	$(GO) test -race -count=1 -timeout 12m $$($(GO) list ./... | grep -v '/test/')
	$(GO) test -race -count=1 -timeout 15m -p 1 ./test/...

node-deps:
	cd test/node && npm ci --no-audit --no-fund

# Fault tests alone: clusters whose workers, gateways, Redis, PostgreSQL and broker are killed or restarted under
# load, then checked by seq for lost or duplicated messages (also part of test-go).
.PHONY: test-faults
test-faults:
	$(GO) test -race -count=1 -timeout 20m ./test/faults/...

# The Socket.IO contract against the real binary, with the official socket.io-client (needs Node 20+ and npm).
test-node: build node-deps
	cd test/node && SCALECHAT_BIN=$(CURDIR)/$(BIN) npm test

# The web app: the generated REST client matches openapi/openapi.yaml, the client-state unit tests (Vitest), and
# the end-to-end test in Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against the real binary.
test-web: build
	cd web && npm run check:api && npx vitest run
	cd test/browser && npm ci --no-audit --no-fund && SCALECHAT_BIN=$(CURDIR)/$(BIN) npm test

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Fuzz targets, FUZZTIME each, one after another (go test -fuzz takes one target of one package at a time): socket
# frames and payloads, REST bodies, cursors, ids and text validation, the sequencer's decision function. Their
# committed corpora (testdata/fuzz) also run as plain tests in test-go. A run that ends in "context deadline
# exceeded" without writing a failing input is Go's own race at the -fuzztime deadline (go.dev/issue/75804, not
# fixed in Go 1.26), not a finding: it is reported and the next target runs.
FUZZTIME ?= 3s
FUZZ_TARGETS := \
	./adapters/socketio:FuzzFrameReader ./adapters/socketio:FuzzFrameRoundTrip ./adapters/socketio:FuzzDecodePayload \
	./adapters/rest:FuzzRESTSendMessage ./adapters/rest:FuzzRESTCreateConversation ./adapters/rest:FuzzRESTRegister \
	./core:FuzzDecodeCursor ./core:FuzzCursorRoundTrip ./core:FuzzValidateClientMsgID ./core:FuzzMessageID \
	./core:FuzzNormalizeUsername ./core:FuzzNormalizeEmoji ./core:FuzzCleanDisplayName ./core:FuzzValidateBody ./core:FuzzValidateTitleAndTopic \
	./core/chat:FuzzDecideSends
fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t#*:}; \
	  echo "$(GO) test -run '^$$' -fuzz '^$$name$$' -fuzztime $(FUZZTIME) $$pkg"; \
	  out=$$($(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg 2>&1); rc=$$?; \
	  printf '%s\n' "$$out"; \
	  if [ $$rc -ne 0 ]; then \
	    case "$$out" in \
	      *"Failing input written"*) exit 1 ;; \
	      *"context deadline exceeded"*) echo "$$name: the fuzzing coordinator's deadline race (go.dev/issue/75804), no failing input" ;; \
	      *) exit 1 ;; \
	    esac; \
	  fi; \
	done

# A local cluster for manual use: the kfake dev broker, 2 gateways (http://127.0.0.1:8081, :8082) and 1 worker
# on the local PostgreSQL and Redis. Ctrl-C stops it.
cluster: build
	test/cluster/run.sh foreground 2 1

# Real-time figures of a plain WebSocket broadcast server (the reference), the standalone role and a local
# cluster (2 gateways, 1 worker, kfake, local Redis and PostgreSQL) under the same load: fan-out, idle sockets,
# a reconnection storm, a chat mix and REST persistence. BENCH_RUNS full runs (about 17 minutes each) write
# test/bench/results/run-N/ (results.json, results.md, charts); the medians of their headline figures are
# printed and written to test/bench/results/summary.md. BENCH_FLAGS passes more flags, e.g.
# BENCH_FLAGS='--targets standalone --scenarios fanout'; BENCH_BEFORE names result directories of an earlier
# binary to print beside them.
BENCH_RUNS ?= 1
bench: build
	$(GO) build -o bin/bench ./test/bench
	rm -rf test/bench/results/run-*
	for i in $$(seq 1 $(BENCH_RUNS)); do bin/bench --bin $(BIN) --out test/bench/results/run-$$i $(BENCH_FLAGS) || exit 1; done
	bin/bench summary --out test/bench/results/summary.md $(if $(BENCH_BEFORE),--before $(BENCH_BEFORE)) test/bench/results/run-*

# The same scenarios, small and short (under 3 minutes): a before/after check, not figures to publish.
bench-quick: build
	$(GO) build -o bin/bench ./test/bench
	bin/bench --quick --bin $(BIN) --out bin/bench-quick $(BENCH_FLAGS)
	bin/bench summary bin/bench-quick

# Leak check: SOAK_DURATION (default 10 minutes) of steady moderate load on a local cluster (300 sockets over
# both gateways, 100 msg/s to 30 conversations, a fifth of the sockets reconnecting with sync every 10 s, REST
# reads; faults off), sampling every 10 s each server's RSS, goroutines and open fds and the Redis and
# PostgreSQL connections. Prints the series and a verdict per resource, and fails when one grows from the middle
# third of the run to the last or an acked message goes undelivered. Results in test/bench/results/soak/.
SOAK_DURATION ?= 10m
soak: build
	$(GO) build -o bin/bench ./test/bench
	bin/bench --targets cluster --scenarios soak --soak-duration $(SOAK_DURATION) --bin $(BIN) --out test/bench/results/soak $(SOAK_FLAGS)

# The sequencer's store stage alone (ports/porttest.BenchSequencer): batches of sends over conversations,
# sequenced into SQLite and PostgreSQL, three runs each, in msg/s.
bench-sequencer:
	$(GO) test -run '^$$' -bench BenchmarkSequencer -benchtime 2s -count 3 ./adapters/sqlite ./adapters/postgres

# History and sync pages at size: SQLite filled with 1 million messages, PostgreSQL with 10 million (in a
# schema of the test database, dropped at the end; SCALECHAT_BENCH_HISTORY_MESSAGES overrides both), page read
# p50/p99 and the query plans. Takes about 4 minutes (most of it filling PostgreSQL at ~65,000 messages/s).
bench-history:
	$(GO) test -v -run '^$$' -bench BenchmarkHistory -benchtime 3s -timeout 90m ./adapters/sqlite ./adapters/postgres

# Message search over 1,000,000 messages (SCALECHAT_BENCH_SEARCH_MESSAGES overrides) in 1,000 conversations,
# loaded in bulk into PostgreSQL (a fresh schema of the test database) and SQLite: p50/p95/p99 of 200 searches
# of each shape (a rare word, a common word, two words, a phrase; with and without a conversation filter).
bench-search:
	$(GO) test -v -run '^$$' -bench BenchmarkSearch -benchtime 200x -timeout 120m ./adapters/postgres ./adapters/sqlite

# The workers' half of the pipeline at full speed: 100,000 commands already in a 12-partition topic (kfake over
# TCP) drained by 1-12 consumer-group members through chat.Sequencer into PostgreSQL, results to Redis
# (SCALECHAT_BENCH_PIPELINE_COMMANDS overrides the count).
bench-pipeline:
	$(GO) test -v -run '^$$' -bench BenchmarkPipeline -benchtime 1x -timeout 60m ./test/pipeline

# Regenerates committed generated code: Wire injectors, the OpenAPI document, the Go SDK and the web app's TS types.
generate:
	cd app && $(GO) run github.com/google/wire/cmd/wire gen .
	$(GO) run . openapi > openapi/openapi.yaml.tmp && mv openapi/openapi.yaml.tmp openapi/openapi.yaml
	$(GO) run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config openapi/sdk/oapi-codegen.yaml -o openapi/sdk/sdk.gen.go openapi/openapi.yaml
	cd web && npm ci --no-audit --no-fund && npm run gen:api

clean:
	rm -rf bin web/dist/app
