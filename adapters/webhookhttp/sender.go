// Package webhookhttp sends webhook deliveries over HTTP (ports.WebhookSender).
package webhookhttp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/scalechat/scalechat/ports"
)

var _ ports.WebhookSender = (*Sender)(nil)

// maxResponseRead bounds what is read of a receiver's answer: only its status matters, and reading a little
// lets the connection be reused.
const maxResponseRead = 64 << 10

// Sender POSTs deliveries with a client of its own: no redirects followed (a receiver that moved must be
// re-registered, so a signed body is never sent anywhere the admin did not name), a bounded connection pool.
type Sender struct {
	client *http.Client
}

// New returns a sender whose attempts each end after timeout at the latest (the dispatcher's context may end
// them sooner).
func New(timeout time.Duration) *Sender {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 16
	transport.ResponseHeaderTimeout = timeout
	return &Sender{client: &http.Client{Timeout: timeout, Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Send POSTs body to url with headers and returns the response status.
func (s *Sender) Send(ctx context.Context, url string, headers map[string]string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", "scalechat-webhooks/1")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := s.client.Do(req)
	if err != nil {
		var uerr interface{ Timeout() bool }
		if errors.As(err, &uerr) && uerr.Timeout() {
			return 0, errors.New("no answer in time")
		}
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxResponseRead))
	return res.StatusCode, nil
}

// Close drops idle connections.
func (s *Sender) Close() { s.client.CloseIdleConnections() }
