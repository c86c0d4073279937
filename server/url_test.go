package server_test

import (
	"net"
	"testing"

	"gochat/server"
)

// TestURLOnEveryInterface: a server listening on every interface (:PORT,
// 0.0.0.0:PORT, [::]:PORT) gives a URL a person can open,
// http://localhost:PORT/, which serves; one on a given address gives
// that address.
func TestURLOnEveryInterface(t *testing.T) {
	for addr, host := range map[string]string{
		":0":          "localhost",
		"0.0.0.0:0":   "localhost",
		"[::]:0":      "localhost",
		"127.0.0.1:0": "127.0.0.1",
	} {
		s, c := MustOpen(t, server.Config{Addr: addr})
		_, port, err := net.SplitHostPort(s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		want := "http://" + net.JoinHostPort(host, port) + "/"
		if s.URL() != want {
			t.Errorf("listening on %s (%s): URL %s, want %s", addr, s.Addr(), s.URL(), want)
			continue
		}
		if a := c.MustDo("GET", "readyz", "", ""); a.Status != 200 {
			t.Errorf("GET %sreadyz: %d %s", s.URL(), a.Status, a.Raw)
		}
	}
}
