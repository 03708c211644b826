//go:build tools

// Package tools pins the code generators used by `make generate`.
package tools

import (
	_ "github.com/google/wire/cmd/wire"
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
