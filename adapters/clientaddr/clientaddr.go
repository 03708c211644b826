// Package clientaddr finds the network address of the client of an HTTP request, and puts it in the request's
// context (chat.WithClient), where the per-address rate limits of the use cases find it.
package clientaddr

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/scalechat/scalechat/core/chat"
)

// Middleware returns next with every request's context carrying its client address (see Of).
func Middleware(header string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(chat.WithClient(r.Context(), Of(r, header))))
	})
}

// Of returns the client address of r, as a limit key: an IPv4 address, or the /64 network of an IPv6 address
// (one host commonly holds a whole /64). With header set (say X-Forwarded-For, when every request comes
// through a proxy that appends to it), it is the right-most address of the header's last line, the one the
// proxy saw; a missing or unreadable header falls back to the peer address, as does an empty header name.
func Of(r *http.Request, header string) string {
	if header != "" {
		if vs := r.Header.Values(header); len(vs) > 0 {
			parts := strings.Split(vs[len(vs)-1], ",")
			if a, ok := parse(strings.TrimSpace(parts[len(parts)-1])); ok {
				return a
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if a, ok := parse(host); ok {
		return a
	}
	return host
}

func parse(s string) (string, bool) {
	ip, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return "", false
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return ip.String(), true
	}
	p, _ := ip.Prefix(64)
	return p.String(), true
}
