package sio

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// wsGUID is the constant RFC 6455 §1.3 appends to the key.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// upgrade performs the client side of the WebSocket opening handshake on nc: the request, then the 101
// response read through br, so that whatever the server sent after it stays buffered in br.
func upgrade(nc net.Conn, br *bufio.Reader, host, path string) error {
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	key := base64.StdEncoding.EncodeToString(raw[:])
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		return err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fmt.Errorf("reading the upgrade response: %w", err)
	}
	_ = resp.Body.Close() // a 101 has no body; for anything else the status says enough
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("upgrade refused: %s", resp.Status)
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		return fmt.Errorf("upgrade response names %q, not websocket", resp.Header.Get("Upgrade"))
	}
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), acceptKey(key); got != want {
		return fmt.Errorf("Sec-WebSocket-Accept %q, want %q", got, want)
	}
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		return fmt.Errorf("server chose extensions %q that were not offered", ext)
	}
	return nil
}

// acceptKey is the Sec-WebSocket-Accept value for a key.
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// CheckLoopback refuses a URL whose host is not a loopback address (127.0.0.0/8 or ::1), by resolving it: the
// bench loads only servers on this machine. It returns the host:port to dial.
func CheckLoopback(rawURL string) (hostport string, u *url.URL, err error) {
	u, err = url.Parse(rawURL)
	if err != nil {
		return "", nil, err
	}
	switch u.Scheme {
	case "http", "ws":
	default:
		return "", nil, fmt.Errorf("%s: only http:// and ws:// targets on loopback are allowed", rawURL)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
	}
	addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	if err != nil {
		return "", nil, fmt.Errorf("%s: resolving %q: %w", rawURL, host, err)
	}
	if len(addrs) == 0 {
		return "", nil, fmt.Errorf("%s: %q resolves to nothing", rawURL, host)
	}
	for _, a := range addrs {
		if !IsLoopback(a) {
			return "", nil, fmt.Errorf("%s: %q resolves to %s, which is not loopback: refusing to load it", rawURL, host, a)
		}
	}
	return net.JoinHostPort(addrs[0].Unmap().String(), port), u, nil
}

// IsLoopback reports whether a is in 127.0.0.0/8 or is ::1.
func IsLoopback(a netip.Addr) bool {
	a = a.Unmap()
	return (a.Is4() && a.As4()[0] == 127) || a == netip.IPv6Loopback()
}
