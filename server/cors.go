package server

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"gochat/wire"
)

// ParseOrigins checks a comma-separated list of origins such as
// "https://blog.example, http://localhost:8080" ("*" allows every origin).
func ParseOrigins(list string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(list, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o != "*" {
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
				return nil, fmt.Errorf("origin %q: want scheme://host[:port], e.g. https://blog.example", o)
			}
			o = u.Scheme + "://" + u.Host
		}
		out = append(out, o)
	}
	return out, nil
}

// cors guards the API against other origins. A request from gochat's own
// host, or without an Origin header (curl, servers), passes. One from an
// origin in allowed passes with Access-Control-Allow-Origin, and its
// preflight is answered here. Any other origin is refused with 403, so a
// page elsewhere can neither read nor post. The refusal alone may be read
// by that page (it carries Access-Control-Allow-Origin, and holds nothing
// but the refusal): without it the browser hides the 403 as a network
// error, and the embed could not tell "not enabled for this site" from
// "server down" and would retry forever.
func cors(allowed []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || sameHost(origin, r.Host) {
			next.ServeHTTP(w, r)
			return
		}
		if !slices.Contains(allowed, "*") && !slices.Contains(allowed, origin) {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Add("Vary", "Origin")
			wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusForbidden,
				"this server does not accept requests from %s (its operator can allow it with -allow-origin)", origin)))
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Content-Type, Accept, Idempotency-Key")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameHost reports whether origin names host (host[:port], as in the
// request's Host header).
func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, host)
}
