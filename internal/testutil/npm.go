package testutil

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// npmInstallTimeout bounds one npm install.
const npmInstallTimeout = 5 * time.Minute

// NPMPackage returns a folder of the user's cache (gochat-test/name)
// holding the npm package spec (e.g. "fbp@1.8"), installing it there with
// npm the first time; probe, a path inside the folder, tells whether it
// is there. It installs beside the folder and renames, so a test running
// at the same time never sees half a package.
func NPMPackage(tb testing.TB, npm, spec, name, probe string) string {
	tb.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "gochat-test", name)
	installed := func() bool {
		_, err := os.Stat(filepath.Join(dir, probe))
		return err == nil
	}
	if installed() {
		return dir
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		tb.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), name+"-install-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), npmInstallTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", tmp, spec)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("npm install %s: %v\n%s", spec, err, out)
	}
	// Another test run may have installed it meanwhile: either copy works.
	if err := os.Rename(tmp, dir); err != nil && !installed() {
		tb.Fatalf("install %s into %s: %v", spec, dir, err)
	}
	return dir
}
