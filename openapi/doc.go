// Package openapi holds scalechat's committed API documents — openapi.yaml, generated from the Huma API by
// `scalechat openapi` — and, in openapi/sdk, the Go SDK generated from it with oapi-codegen. `make generate`
// rewrites them; the tests here fail when a committed file drifts from what the code generates.
package openapi
