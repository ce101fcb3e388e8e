package dashboard

import (
	"bytes"
	"html/template"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"
)

// pages are parsed at the first page served, not at start: a process that
// only takes webhooks never holds them (200 KB parsed, more of the binary
// touched). The templates are embedded, so the tests parse what ships.
var pages = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Funcs(template.FuncMap{
		"join": strings.Join,
		"inc":  func(i int) int { return i + 1 },
	}).ParseFS(assets, "assets/*.html"))
})

// execute renders template name into memory, so that a failure is a 500
// rather than half a page.
func (h *Handler) execute(name string, pg page) ([]byte, error) {
	var b bytes.Buffer
	if err := pages().ExecuteTemplate(&b, name, pg); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// render writes a whole page.
func (h *Handler) render(w http.ResponseWriter, code int, name string, pg page) {
	pg.Base = h.opts.BasePath
	body, err := h.execute(name, pg)
	if err != nil {
		h.log.Error("dashboard: cannot render", "page", name, "err", err)
		http.Error(w, "internal error: cannot render the page", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	securityHeaders(hd)
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// securityHeaders let a page load only its own stylesheet and script, post
// only to stagehand, and never sit in a frame.
func securityHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
}

// asset serves the stylesheet and the script.
func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	var typ string
	switch path.Ext(name) {
	case ".css":
		typ = "text/css; charset=utf-8"
	case ".js":
		typ = "text/javascript; charset=utf-8"
	default:
		http.NotFound(w, r)
		return
	}
	data, err := assets.ReadFile("assets/" + path.Base(name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", typ)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(data)
}
