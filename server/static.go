package server

import (
	"net/http"
	"path"

	"gochat/client"
	"gochat/wire"
)

// staticHandler serves the embedded client with its security headers
// (wire.Page).
// Scripts may be loaded from any origin (Access-Control-Allow-Origin: *),
// so a page elsewhere can load embed.js as a module; the API decides who
// may post (see cors).
func staticHandler() http.Handler {
	files := http.FileServerFS(client.FS())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		wire.SetSecurityHeaders(h, wire.Page)
		h.Set("Cache-Control", "no-cache")
		if path.Ext(r.URL.Path) == ".js" {
			h.Set("Access-Control-Allow-Origin", "*")
		}
		files.ServeHTTP(w, r)
	})
}
