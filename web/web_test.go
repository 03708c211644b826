package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func problem404(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(w, `{"code":"not_found"}`)
}

var built = fstest.MapFS{
	"index.html":           {Data: []byte("<!doctype html><title>app</title>")},
	"favicon.svg":          {Data: []byte("<svg/>")},
	"assets/index-abc.js":  {Data: []byte("console.log(1)")},
	"assets/index-abc.css": {Data: []byte("body{}")},
	".keep":                {Data: nil},
}

type result struct {
	status int
	header http.Header
	body   string
}

func do(h http.Handler, method, target, accept string, hdr ...string) result {
	r := httptest.NewRequest(method, target, nil)
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return result{w.Code, w.Header(), w.Body.String()}
}

const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func TestServesTheApp(t *testing.T) {
	h := newHandler(built, Config{NotFound: http.HandlerFunc(problem404)})

	r := do(h, http.MethodGet, "/", "")
	if r.status != 200 || !strings.Contains(r.body, "<title>app</title>") {
		t.Fatalf("GET /: %d %q", r.status, r.body)
	}
	if got := r.header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("index.html Cache-Control = %q, want no-cache", got)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("index.html Content-Type = %q", r.header.Get("Content-Type"))
	}
	for k, want := range map[string]string{"Content-Security-Policy": appCSP, "X-Frame-Options": "DENY",
		"X-Content-Type-Options": "nosniff"} {
		if got := r.header.Get(k); got != want {
			t.Errorf("index.html %s = %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(appCSP, "frame-ancestors 'none'") || strings.Contains(appCSP, "unsafe-") {
		t.Errorf("CSP %q: want frame-ancestors 'none' and nothing unsafe", appCSP)
	}
	etag := r.header.Get("ETag")
	if etag == "" {
		t.Fatal("index.html has no ETag")
	}
	if r := do(h, http.MethodGet, "/", "", "If-None-Match", etag); r.status != http.StatusNotModified {
		t.Errorf("conditional GET / = %d, want 304", r.status)
	}

	r = do(h, http.MethodGet, "/assets/index-abc.js", "")
	if r.status != 200 || r.body != "console.log(1)" {
		t.Fatalf("asset: %d %q", r.status, r.body)
	}
	if got := r.header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("asset Cache-Control = %q", got)
	}
	if ct := r.header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("asset Content-Type = %q", ct)
	}
	if r := do(h, http.MethodGet, "/assets/index-abc.css", ""); !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") {
		t.Errorf("css Content-Type = %q", r.header.Get("Content-Type"))
	}
	if r := do(h, http.MethodHead, "/favicon.svg", ""); r.status != 200 || r.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("HEAD favicon: %d %q", r.status, r.header.Get("Cache-Control"))
	}
}

func TestSPAFallback(t *testing.T) {
	h := newHandler(built, Config{NotFound: http.HandlerFunc(problem404)})
	for _, p := range []string{"/c/0190a1b2-c3d4", "/c/x/", "/settings"} {
		r := do(h, http.MethodGet, p, browser)
		if r.status != 200 || !strings.Contains(r.body, "<title>app</title>") {
			t.Errorf("navigation to %s: %d %q", p, r.status, r.body)
		}
		if r.header.Get("Cache-Control") != "no-cache" {
			t.Errorf("navigation to %s: Cache-Control %q", p, r.header.Get("Cache-Control"))
		}
	}
	// Not navigations: missing assets, file-like paths, API clients, other methods.
	for _, c := range []struct{ method, path, accept string }{
		{http.MethodGet, "/assets/index-old.js", browser},
		{http.MethodGet, "/robots.txt", browser},
		{http.MethodGet, "/v2/anything", ""},
		{http.MethodGet, "/v2/anything", "application/json"},
		{http.MethodPost, "/c/x", browser},
		{http.MethodDelete, "/", ""},
	} {
		r := do(h, c.method, c.path, c.accept)
		if r.status != 404 || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s (Accept %q): %d %q, want the NotFound handler", c.method, c.path, c.accept, r.status, r.header.Get("Content-Type"))
		}
	}
	// Dot files of dist/ are not served.
	if r := do(h, http.MethodGet, "/.keep", browser); r.status != 404 {
		t.Errorf("/.keep: %d", r.status)
	}
}

func TestWithoutBuild(t *testing.T) {
	h := newHandler(fstest.MapFS{}, Config{})
	r := do(h, http.MethodGet, "/", "")
	if r.status != 200 || !strings.Contains(r.body, "make build") {
		t.Fatalf("GET / without a build: %d %q", r.status, r.body)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("Content-Type = %q", r.header.Get("Content-Type"))
	}
	if r := do(h, http.MethodGet, "/c/abc", browser); r.status != 200 || !strings.Contains(r.body, "make build") {
		t.Errorf("navigation without a build: %d", r.status)
	}
	if r := do(h, http.MethodGet, "/assets/x.js", ""); r.status != 404 {
		t.Errorf("asset without a build: %d", r.status)
	}
}

func TestEmbedded(t *testing.T) {
	// Whatever the state of dist/, the embedded handler answers /.
	r := do(Handler(), http.MethodGet, "/", "")
	if r.status != 200 {
		t.Fatalf("GET / = %d", r.status)
	}
	if Built() != strings.Contains(r.body, `id="root"`) {
		t.Errorf("Built() = %v, but / is %q", Built(), r.body[:min(len(r.body), 200)])
	}
}
