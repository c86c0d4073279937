package wire_test

import (
	"net/http"
	"testing"

	"gochat/wire"
)

func TestSetSecurityHeaders(t *testing.T) {
	for _, tc := range []struct {
		kind          wire.Kind
		csp, referrer string
	}{
		{wire.Any, "", "no-referrer"},
		{wire.API, "default-src 'none'; frame-ancestors 'none'", "no-referrer"},
		{wire.Page, wire.PageContentSecurityPolicy, "strict-origin-when-cross-origin"},
	} {
		h := http.Header{}
		wire.SetSecurityHeaders(h, tc.kind)
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != tc.csp || h.Get("Referrer-Policy") != tc.referrer {
			t.Errorf("kind %d: %v", tc.kind, h)
		}
	}
}
