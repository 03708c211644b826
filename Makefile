# scalechat — see README.md. `make run` and `make test` do all set-up on a fresh machine.
GO      ?= go
BIN     := bin/scalechat
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/scalechat/scalechat/app.Version=$(VERSION)
PORT    ?= 8080

.PHONY: build run test test-go test-node lint generate cluster bench clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

run: build
	./$(BIN) serve --role standalone --addr :$(PORT) --data-dir ./data

test: lint test-go test-node

test-go:
	$(GO) test -race -count=1 -timeout 12m ./...

# The Socket.IO contract against the real binary, with the official socket.io-client (needs Node 20+ and npm).
test-node: build
	cd test/node && npm ci --no-audit --no-fund && SCALECHAT_BIN=$(CURDIR)/$(BIN) npm test

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# A local cluster for manual use: the kfake dev broker, 2 gateways (http://127.0.0.1:8081, :8082) and 1 worker
# on the local PostgreSQL and Redis. Ctrl-C stops it.
cluster: build
	test/cluster/run.sh foreground 2 1

# Throughput of the standalone role (baseline) and of a local cluster under the same load; prints figures.
bench: build
	test/bench/run.sh

# Regenerates committed generated code: Wire injectors, the OpenAPI document and the Go SDK.
generate:
	cd app && $(GO) run github.com/google/wire/cmd/wire gen .
	$(GO) run . openapi > openapi/openapi.yaml.tmp && mv openapi/openapi.yaml.tmp openapi/openapi.yaml
	$(GO) run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config openapi/sdk/oapi-codegen.yaml -o openapi/sdk/sdk.gen.go openapi/openapi.yaml

clean:
	rm -rf bin
