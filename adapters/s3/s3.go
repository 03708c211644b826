// Package s3 keeps blobs in a bucket of an S3-compatible object store: the distributed roles' attachment
// store, shared by every gateway and worker. Objects are written with one PUT of a known length, so a failed
// upload leaves nothing behind and readers see whole objects.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var _ ports.BlobStore = (*Store)(nil)

// Config names the store and the bucket.
type Config struct {
	Endpoint  string // http://host:port or https://host:port
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string // "" is us-east-1
	PathStyle bool   // address buckets as endpoint/bucket instead of bucket.endpoint (most self-hosted stores)
	Create    bool   // create the bucket when it is missing
}

// Store is a ports.BlobStore on one bucket.
type Store struct {
	c      *minio.Client
	bucket string
}

// Open connects to the endpoint and checks that the bucket exists (creating it when cfg.Create says so).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("s3: endpoint %q: want http(s)://host[:port]", cfg.Endpoint)
	}
	if cfg.Bucket == "" {
		return nil, errors.New("s3: a bucket is required")
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       region,
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	s := &Store{c: c, bucket: cfg.Bucket}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3: bucket %s at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	if !ok {
		if !cfg.Create {
			return nil, fmt.Errorf("s3: bucket %s does not exist at %s", cfg.Bucket, cfg.Endpoint)
		}
		if err := c.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: region}); err != nil {
			code := minio.ToErrorResponse(err).Code
			if code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
				return nil, fmt.Errorf("s3: create bucket %s: %w", cfg.Bucket, err)
			}
		}
	}
	return s, nil
}

// Put uploads exactly size bytes of r as key's object, in one request.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := core.ValidateBlobKey(key); err != nil {
		return err
	}
	if size < 0 {
		return core.Invalid("size", "size must not be negative")
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	er := &exactReader{r: r, left: size}
	_, err := s.c.PutObject(ctx, s.bucket, key, er, size, minio.PutObjectOptions{ContentType: contentType,
		DisableMultipart: true})
	if er.err != nil {
		return er.err
	}
	return translate(err)
}

// Get opens key's object.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := core.ValidateBlobKey(key); err != nil {
		return nil, err
	}
	o, err := s.c.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, translate(err)
	}
	if _, err := o.Stat(); err != nil { // the request is made here: a missing object shows now, not on Read
		_ = o.Close()
		return nil, translate(err)
	}
	return o, nil
}

// Delete removes key's object; a missing one is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := core.ValidateBlobKey(key); err != nil {
		return err
	}
	return translate(s.c.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}))
}

// Ping checks that the bucket is reachable: the readiness check of the store.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return translate(err)
	}
	if !ok {
		return core.Errorf(core.CodeUnavailable, "bucket %s is gone", s.bucket)
	}
	return nil
}

// translate maps a client error to the core set; the cause stays internal.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return core.Wrap(core.CodeUnavailable, err, "request cancelled")
	}
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchKey":
		return core.Wrap(core.CodeNotFound, err, "blob not found")
	case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout":
		return core.Wrap(core.CodeUnavailable, err, "blob storage unavailable")
	case "":
		return core.Wrap(core.CodeUnavailable, err, "blob storage unavailable") // transport: no S3 answer
	}
	if strings.Contains(err.Error(), "connection") {
		return core.Wrap(core.CodeUnavailable, err, "blob storage unavailable")
	}
	return core.Wrap(core.CodeInternal, err, "blob storage error")
}

// exactReader yields the first left bytes of r and fails if r has fewer, or more: it looks one byte past the
// end before handing over the last bytes, because the HTTP client stops reading at the declared length.
type exactReader struct {
	r    io.Reader
	left int64
	err  error
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if e.left == 0 {
		var one [1]byte
		m, perr := io.ReadFull(e.r, one[:])
		if m > 0 {
			e.err = core.Invalid("size", "the content is longer than its declared size")
			return n, e.err
		}
		if perr != nil && !errors.Is(perr, io.EOF) {
			e.err = core.Wrap(core.CodeInvalidArgument, perr, "the upload could not be read")
			return n, e.err
		}
		return n, io.EOF
	}
	if errors.Is(err, io.EOF) {
		e.err = core.Invalid("size", "the content is shorter than its declared size")
		return n, e.err
	}
	if err != nil {
		e.err = core.Wrap(core.CodeInvalidArgument, err, "the upload could not be read")
		return n, e.err
	}
	return n, nil
}
