package server_test

import (
	"testing"

	"gochat/internal/buildinfo"
	"gochat/server"
)

// TestBuildInfoMetric: /metrics names the build the server runs, as
// configured, in gochat_build_info's labels, with the value 1.
func TestBuildInfoMetric(t *testing.T) {
	build := buildinfo.Info{Version: "v1.2.3", Revision: "5ac184a5e8f0c3b1d2e4f6a7b8c9d0e1f2a3b4c5-dirty", GoVersion: "go1.26.8"}
	s, c := MustOpen(t, server.Config{Build: build})
	m := scrape(t, c, s.URL()+"metrics")
	name := `gochat_build_info{goversion="go1.26.8",revision="5ac184a5e8f0c3b1d2e4f6a7b8c9d0e1f2a3b4c5-dirty",version="v1.2.3"}`
	if m[name] != 1 {
		t.Errorf("%s = %v, want 1; metrics: %v", name, m[name], m)
	}
}

// TestBuildInfoMetricDefault: a server configured without build
// information reports the running binary's.
func TestBuildInfoMetricDefault(t *testing.T) {
	s, c := MustOpen(t, server.Config{})
	b := buildinfo.Read()
	name := `gochat_build_info{goversion="` + b.GoVersion + `",revision="` + b.Revision + `",version="` + b.Version + `"}`
	if m := scrape(t, c, s.URL()+"metrics"); m[name] != 1 {
		t.Errorf("%s = %v, want 1", name, m[name])
	}
}
