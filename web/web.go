// Package web serves scalechat's web app: the React + Tailwind single-page app in this directory, built by Vite
// into dist/app (`make build` runs `npm ci && npm run build` here) and embedded into the binary.
//
// Files are served from dist/app. Hashed files under /assets/ are cached for a year (immutable); everything else,
// index.html above all, is served with `Cache-Control: no-cache` and an ETag, so a new deploy is picked up at once.
// Navigations to other paths (GET or HEAD of a path without a file, from a client that accepts text/html) get
// index.html, so that the app's own routes survive reloads and links (SPA fallback). Any other request that
// matches no file goes to the NotFound handler (the REST API's 404 problem, in the server).
//
// When the binary was built without the UI (dist/app absent), the handler answers navigations with a short page
// that says how to build it; the server works as usual otherwise.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Config configures the handler. The zero value is valid.
type Config struct {
	// NotFound answers requests that are neither a file of the app nor a navigation; http.NotFound when nil.
	NotFound http.Handler
}

// Handler returns the handler of the embedded app with the default Config.
func Handler() http.Handler { return New(Config{}) }

// New returns the handler of the embedded app.
func New(cfg Config) http.Handler {
	app, err := fs.Sub(dist, "dist/app")
	if err != nil { // cannot happen: the path is a valid constant
		panic(err)
	}
	return newHandler(app, cfg)
}

// Built reports whether the binary embeds a build of the app.
func Built() bool {
	_, err := fs.Stat(dist, "dist/app/index.html")
	return err == nil
}

type file struct {
	data []byte
	etag string
	name string
}

type handler struct {
	files    map[string]*file // by clean path without the leading slash
	index    *file            // nil when there is no build
	notFound http.Handler
}

const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// newHandler serves app (the contents of dist/app). Files are read once, up front: the embedded tree is small.
func newHandler(app fs.FS, cfg Config) http.Handler {
	h := &handler{files: map[string]*file{}, notFound: cfg.NotFound}
	if h.notFound == nil {
		h.notFound = http.NotFoundHandler()
	}
	_ = fs.WalkDir(app, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		data, err := fs.ReadFile(app, p)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(data)
		h.files[p] = &file{data: data, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, name: p}
		return nil
	})
	h.index = h.files["index.html"]
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.notFound.ServeHTTP(w, r)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	if f := h.files[name]; f != nil {
		h.serve(w, r, f)
		return
	}
	// Missing hashed assets and other file-like paths are real 404s, not the app.
	if strings.HasPrefix(name, "assets/") || !isNavigation(r, name) {
		h.notFound.ServeHTTP(w, r)
		return
	}
	if h.index == nil {
		h.notBuilt(w, r)
		return
	}
	h.serve(w, r, h.index)
}

// isNavigation tells a browser loading a page of the app from a request for something else: the root, or a
// path without an extension requested by a client that accepts HTML.
func isNavigation(r *http.Request, name string) bool {
	if name == "index.html" {
		return true
	}
	if path.Ext(name) != "" {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, f *file) {
	hdr := w.Header()
	if strings.HasPrefix(f.name, "assets/") {
		hdr.Set("Cache-Control", cacheImmutable)
	} else {
		hdr.Set("Cache-Control", cacheRevalidate)
	}
	hdr.Set("ETag", f.etag)
	hdr.Set("X-Content-Type-Options", "nosniff")
	if f == h.index {
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		hdr.Set("Referrer-Policy", "same-origin")
		hdr.Set("Content-Security-Policy", appCSP)
		hdr.Set("X-Frame-Options", "DENY") // frame-ancestors, for browsers older than CSP 2
	}
	// ServeContent sets Content-Type from the name, and answers conditional and range requests.
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.data))
}

// appCSP is the page's Content-Security-Policy: scripts, styles, fonts and connections (REST and the
// Socket.IO websocket) only from the app's own origin, images also as data: URLs, no plugins, no <base>, and
// no framing by any other page (clickjacking).
const appCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// notBuiltPage answers navigations when the binary embeds no build of the app.
const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>scalechat: web app not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#0f172a}
code{background:#f1f5f9;padding:.1rem .3rem;border-radius:.25rem}</style></head>
<body><h1>scalechat is running</h1>
<p>This binary was built without the web app. Run <code>make build</code> (it runs <code>npm ci</code> and the Vite
build in <code>web/</code>, then <code>go build</code>), or <code>make run</code>, to get the chat UI here.</p>
<p>The server works without it: the REST API is under <code>/v1/</code> (interactive docs at <a href="/docs">/docs</a>)
and Socket.IO at <code>/socket.io/</code>.</p></body></html>
`

func (h *handler) notBuilt(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", cacheRevalidate)
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	_, _ = w.Write([]byte(notBuiltPage))
}
