// Package buildinfo says which gochat a binary is: its module version,
// the commit it was built from and the Go that built it, as the Go
// toolchain records them in every binary (runtime/debug.ReadBuildInfo;
// no -ldflags needed).
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Unknown stands for what a build did not record: `go run .`, `go test`
// and builds with -buildvcs=false (or outside a git checkout) record no
// commit.
const Unknown = "unknown"

// dirty marks a revision built from a tree with uncommitted changes.
const dirty = "-dirty"

// Info identifies a build.
type Info struct {
	// Version is the main module's version: "(devel)" for a build from a
	// checkout, or the pseudo-version Go derives from the commit.
	Version string
	// Revision is the commit the binary was built from, followed by
	// "-dirty" when the tree had uncommitted changes; Unknown when the
	// build did not record one.
	Revision string
	// GoVersion is the Go toolchain that built it, e.g. go1.26.8.
	GoVersion string
}

// Read returns the build information of the running binary.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return From(bi)
}

// From returns the Info that bi records; nil (a binary without build
// information) gives Unknown version and revision and the running Go.
func From(bi *debug.BuildInfo) Info {
	if bi == nil {
		return Info{Version: Unknown, Revision: Unknown, GoVersion: runtime.Version()}
	}
	i := Info{Version: orUnknown(bi.Main.Version), GoVersion: orUnknown(bi.GoVersion)}
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	i.Revision = orUnknown(i.Revision)
	if modified && i.Revision != Unknown {
		i.Revision += dirty
	}
	return i
}

// String formats i as `VERSION (REVISION, GOVERSION)`, what
// `gochat -version` prints after the name.
func (i Info) String() string {
	return i.Version + " (" + i.Revision + ", " + i.GoVersion + ")"
}

func orUnknown(s string) string {
	if s == "" {
		return Unknown
	}
	return s
}
