# scalechat — see README.md. `make run` and `make test` do all set-up on a fresh machine.
GO      ?= go
BIN     := bin/scalechat
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/scalechat/scalechat/app.Version=$(VERSION)
PORT    ?= 8080

.PHONY: build run test test-go lint generate check-generated clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

run: build
	./$(BIN) serve --role standalone --addr :$(PORT) --data-dir ./data

test: lint test-go

test-go:
	$(GO) test -race -count=1 -timeout 12m ./...

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Regenerates committed generated code: Wire injectors, the OpenAPI document and the Go SDK.
generate:
	cd app && $(GO) run github.com/google/wire/cmd/wire gen .
	$(GO) run . openapi > openapi/openapi.yaml.tmp && mv openapi/openapi.yaml.tmp openapi/openapi.yaml
	$(GO) run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config openapi/sdk/oapi-codegen.yaml -o openapi/sdk/sdk.gen.go openapi/openapi.yaml

clean:
	rm -rf bin
