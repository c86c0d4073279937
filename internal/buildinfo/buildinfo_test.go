package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestFrom(t *testing.T) {
	const rev = "5ac184a5e8f0c3b1d2e4f6a7b8c9d0e1f2a3b4c5"
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"a clean checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"}}},
			"(devel) (" + rev + ", go1.26.8)"},
		{"a modified checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261124192600-5ac184a5e8f0+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"}}},
			"v0.0.0-20261124192600-5ac184a5e8f0+dirty (" + rev + "-dirty, go1.26.8)"},
		{"no version control (go run, go test, -buildvcs=false)", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			"(devel) (unknown, go1.26.8)"},
		{"a tagged module", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}},
			"v1.2.3 (unknown, go1.26.0)"},
		{"nothing recorded", &debug.BuildInfo{}, "unknown (unknown, unknown)"},
		{"no build info at all", nil, "unknown (unknown, " + runtime.Version() + ")"},
	} {
		if got := From(tc.bi).String(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestRead: the test binary has build information of its own; Read
// returns every field filled in.
func TestRead(t *testing.T) {
	i := Read()
	if i.Version == "" || i.Revision == "" || i.GoVersion != runtime.Version() {
		t.Errorf("Read() = %+v, want every field, Go %s", i, runtime.Version())
	}
	t.Logf("this test binary: %s", i)
}
