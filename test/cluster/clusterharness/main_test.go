package clusterharness_test

import (
	"os"
	"testing"

	"github.com/scalechat/scalechat/test/harness"
)

func TestMain(m *testing.M) {
	code := m.Run()
	harness.RemoveBuilds()
	os.Exit(code)
}
