package openapi_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/rest"
)

// TestSpecDoesNotDrift fails when openapi.yaml differs from what the code generates: run `make generate`.
func TestSpecDoesNotDrift(t *testing.T) {
	t.Parallel()
	committed, err := os.ReadFile("openapi.yaml")
	require.NoError(t, err)
	generated, err := rest.Spec()
	require.NoError(t, err)
	assert.Equal(t, string(generated), string(committed), "openapi/openapi.yaml is stale: run `make generate`")
}

// TestSDKDoesNotDrift regenerates the Go SDK from the committed spec and compares it with the committed one.
func TestSDKDoesNotDrift(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds oapi-codegen")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "sdk.gen.go")
	cmd := exec.Command("go", "run", "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen",
		"-config", filepath.Join("sdk", "oapi-codegen.yaml"), "-o", out, "openapi.yaml")
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "oapi-codegen: %s", msg)
	want, err := os.ReadFile(out)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join("sdk", "sdk.gen.go"))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "openapi/sdk/sdk.gen.go is stale: run `make generate`")
}
