package wire_test

import (
	"net/http"
	"testing"

	"gochat/wire"
)

// Every JSON answer carries the API's headers; extra headers are added
// without changing the shared ones.
func TestEncodeHeaders(t *testing.T) {
	plain := wire.Encode(http.StatusOK, map[string]int{"a": 1}, nil)
	allow := wire.Encode(http.StatusOK, 1, http.Header{"Allow": {"GET"}})
	e := wire.Errorf(http.StatusTooManyRequests, "slow down")
	e.Header = http.Header{"Retry-After": {"1"}}
	errAns := wire.ErrorAnswer(e)
	for name, a := range map[string]wire.Answer{"plain": plain, "allow": allow, "error": errAns} {
		h := a.Header
		if h.Get("Content-Type") != "application/json; charset=utf-8" || h.Get("Cache-Control") != "no-store" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" ||
			h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", name, h)
		}
	}
	if string(plain.Bytes()) != `{"a":1}` || allow.Header.Get("Allow") != "GET" || plain.Header.Get("Allow") != "" {
		t.Errorf("plain %s %v, allow %v", plain.Bytes(), plain.Header, allow.Header)
	}
	if errAns.Status != 429 || string(errAns.Bytes()) != `{"error":{"status":429,"message":"slow down"}}` || errAns.Header.Get("Retry-After") != "1" {
		t.Errorf("error: %d %s %v", errAns.Status, errAns.Bytes(), errAns.Header)
	}
	if bad := wire.Encode(http.StatusOK, func() {}, nil); bad.Status != 500 {
		t.Errorf("unencodable: %d %s", bad.Status, bad.Bytes())
	}
}
