package adapter_test

import (
	"net/http"
	"testing"

	"gochat/adapter"
)

func TestClientAddr(t *testing.T) {
	trusted, err := adapter.ParsePrefixes("127.0.0.0/8, ::1, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer, realIP string
		xff                []string
		want               string
	}{
		{"direct client", "203.0.113.7:5000", "", nil, "203.0.113.7"},
		{"spoofed by an untrusted peer", "203.0.113.7:5000", "6.6.6.6", []string{"6.6.6.6"}, "203.0.113.7"},
		{"nginx with X-Real-IP", "127.0.0.1:4000", "198.51.100.2", []string{"1.1.1.1"}, "198.51.100.2"},
		{"nginx with X-Forwarded-For only", "127.0.0.1:4000", "", []string{"6.6.6.6, 198.51.100.2"}, "198.51.100.2"},
		{"chain of trusted proxies", "127.0.0.1:4000", "", []string{"198.51.100.2, 10.1.1.1", "10.2.2.2"}, "198.51.100.2"},
		{"garbage from a trusted proxy", "127.0.0.1:4000", "not-an-ip", []string{"also not"}, "127.0.0.1"},
		{"IPv6 peer", "[::1]:4000", "2001:db8::1", nil, "2001:db8::1"},
		{"IPv4-mapped header", "127.0.0.1:4000", "::ffff:198.51.100.9", nil, "198.51.100.9"},
		{"zone id of a direct peer", "[fe80::7%eth0]:4000", "", nil, "fe80::7"},
		{"zone id in X-Real-IP", "127.0.0.1:4000", "fe80::1%z17", nil, "fe80::1"},
		{"zone id in X-Forwarded-For", "127.0.0.1:4000", "", []string{"fe80::2%z9"}, "fe80::2"},
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.realIP != "" {
			r.Header.Set("X-Real-IP", tc.realIP)
		}
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := adapter.ClientAddr(r, trusted); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, err := adapter.ParsePrefixes("10.0.0.0/33"); err == nil {
		t.Error("a bad prefix was accepted")
	}
}

func TestClientKey(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		prefix int
		want   string
	}{
		{"198.51.100.7", 64, "198.51.100.7"},
		{"::ffff:198.51.100.7", 64, "198.51.100.7"},
		{"2001:db8:1:2:3:4:5:6", 64, "2001:db8:1:2::/64"},
		{"2001:db8:1:2::9", 64, "2001:db8:1:2::/64"},
		{"2001:db8:1:2:3:4:5:6", 48, "2001:db8:1::/48"},
		{"2001:db8:1:2:3:4:5:6", 128, "2001:db8:1:2:3:4:5:6/128"},
		{"fe80::1%z3", 64, "fe80::/64"},
		{"::1", 64, "::1"},
		{"not an address", 64, "not an address"},
	} {
		if got := adapter.ClientKey(tc.addr, tc.prefix); got != tc.want {
			t.Errorf("ClientKey(%q, %d) = %q, want %q", tc.addr, tc.prefix, got, tc.want)
		}
	}
}
