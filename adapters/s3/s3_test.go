package s3_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/s3"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
	"github.com/scalechat/scalechat/ports/porttest"
)

// endpoint is the S3 server TestMain starts: Versity S3 Gateway on a POSIX directory.
var endpoint string

const (
	accessKey = "scalechat-test"
	secretKey = "scalechat-test-secret"
)

// serverBinary finds the versitygw binary: $SCALECHAT_S3_SERVER, else versitygw on PATH or in Go's bin directory.
func serverBinary() (string, error) {
	if p := os.Getenv("SCALECHAT_S3_SERVER"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("the S3 adapter's tests need a real S3 server, Versity S3 Gateway: install it with " +
		"`go install github.com/versity/versitygw/cmd/versitygw@v1.8.0` (.ci/run and `make s3-server` do) " +
		"or point SCALECHAT_S3_SERVER at its binary")
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	bin, err := serverBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "scalechat-s3-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	addr := l.Addr().String()
	_ = l.Close()
	cmd := exec.Command(bin, "--access", accessKey, "--secret", secretKey, "--port", addr, "--quiet", "posix", dir)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: starting %s: %v\n", bin, err)
		return 1
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	endpoint = "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(endpoint + "/")
		if err == nil {
			_ = res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "FAIL: %s did not answer at %s: %v\n%s", bin, endpoint, err, logs.String())
			return 1
		}
		time.Sleep(50 * time.Millisecond)
	}
	return m.Run()
}

func bucketName(t *testing.T) string {
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return "scalechat-" + hex.EncodeToString(b)
}

func open(t *testing.T, bucket string, create bool) *s3.Store {
	t.Helper()
	s, err := s3.Open(context.Background(), s3.Config{Endpoint: endpoint, Bucket: bucket, AccessKey: accessKey,
		SecretKey: secretKey, PathStyle: true, Create: create})
	require.NoError(t, err)
	return s
}

func TestBlobStoreContract(t *testing.T) {
	porttest.TestBlobStore(t, func(t *testing.T) ports.BlobStore { return open(t, bucketName(t), true) })
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	bucket := bucketName(t)
	_, err := s3.Open(ctx, s3.Config{Endpoint: endpoint, Bucket: bucket, AccessKey: accessKey, SecretKey: secretKey,
		PathStyle: true})
	require.ErrorContains(t, err, "does not exist", "without Create a missing bucket is an error")

	s := open(t, bucket, true)
	require.NoError(t, s.Ping(ctx))
	require.NoError(t, s.Put(ctx, "k", strings.NewReader("v"), 1, "text/plain"))
	again := open(t, bucket, true) // creating an existing bucket is harmless, and data stays
	r, err := again.Get(ctx, "k")
	require.NoError(t, err)
	require.NoError(t, r.Close())

	_, err = s3.Open(ctx, s3.Config{Endpoint: endpoint, Bucket: bucket, AccessKey: accessKey, SecretKey: "wrong",
		PathStyle: true})
	assert.Error(t, err, "bad credentials fail at start")
	for _, bad := range []string{"", "127.0.0.1:9000", "ftp://x", "http://host/path"} {
		_, err = s3.Open(ctx, s3.Config{Endpoint: bad, Bucket: bucket})
		assert.ErrorContains(t, err, "endpoint", bad)
	}
}

func TestUnreachableServerIsUnavailable(t *testing.T) {
	ctx := context.Background()
	s := open(t, bucketName(t), true)
	_, err := s3.Open(ctx, s3.Config{Endpoint: "http://127.0.0.1:1", Bucket: "b", AccessKey: accessKey,
		SecretKey: secretKey, PathStyle: true})
	require.Error(t, err)
	require.NoError(t, s.Put(ctx, "k", strings.NewReader("v"), 1, "text/plain"))
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.Get(ctx2, "k")
	assert.ErrorIs(t, err, core.ErrUnavailable)
}
