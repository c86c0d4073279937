package server

import (
	"net/http"
	"path"

	"gochat/client"
)

// ContentSecurityPolicy is sent with the client's files: scripts, styles
// and connections from gochat's own origin only, no inline script, no
// framing.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// staticHandler serves the embedded client with its security headers.
// Scripts may be loaded from any origin (Access-Control-Allow-Origin: *),
// so a page elsewhere can load embed.js as a module; the API decides who
// may post (see cors).
func staticHandler() http.Handler {
	files := http.FileServerFS(client.FS())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin") // the page may link out
		h.Set("Cache-Control", "no-cache")
		if path.Ext(r.URL.Path) == ".js" {
			h.Set("Access-Control-Allow-Origin", "*")
		}
		files.ServeHTTP(w, r)
	})
}
