package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"gochat/server"
	"gochat/store"
)

// copyHistory is the history the stores of `store copy` are opened with:
// more than any room holds, so that every retained message is copied and
// opening a file trims none.
const copyHistory = 1 << 30

// copyMaxRooms is the room bound of the stores of `store copy`: none.
const copyMaxRooms = 1 << 30

// copyTimeout bounds a whole `store copy`.
const copyTimeout = 10 * time.Minute

// storeCommand runs `gochat store ARGS` and returns its exit code.
func storeCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gochat store", flag.ContinueOnError)
	fs.SetOutput(stderr)
	prefix := fs.String("redis-prefix", "gochat:", "namespace of gochat's Redis keys, in both stores")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gochat store copy [-redis-prefix P] FROM TO\n"+
			"       gochat store check PATH\n\n"+
			"copy copies every room, with its ids and epoch, from the store FROM to the store TO:\n"+
			"file:PATH or redis://host:port/db (not memory). A file FROM may be one a running gochat\n"+
			"holds (a backup); what gochat stores after the copy read it stays behind.\n"+
			"TO must hold none of FROM's rooms.\n"+
			"check reads a file store's file as gochat's start does, changing nothing, and says\n"+
			"what it holds or why gochat would refuse it (exit 1). Flags of copy:\n")
		fs.PrintDefaults()
	}
	if len(args) == 2 && args[0] == "check" {
		return checkCommand(strings.TrimPrefix(args[1], "file:"), stdout, stderr)
	}
	if len(args) == 0 || args[0] != "copy" {
		fs.Usage()
		return 2
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 2 {
		fmt.Fprintln(stderr, "gochat store copy: want FROM and TO (see gochat store copy -h)")
		return 2
	}
	from, to := fs.Arg(0), fs.Arg(1)
	ctx, cancel := context.WithTimeout(context.Background(), copyTimeout)
	defer cancel()
	src, closeSrc, err := openSource(from, *prefix)
	if err != nil {
		fmt.Fprintln(stderr, "gochat store copy:", err)
		return 1
	}
	defer closeSrc()
	dst, err := openCopyable(to, *prefix)
	if err != nil {
		fmt.Fprintln(stderr, "gochat store copy:", err)
		return 1
	}
	rooms, msgs, err := store.Copy(ctx, src, dst)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(stderr, "gochat store copy:", err)
		return 1
	}
	fromCfg, toCfg := server.Config{Store: from}, server.Config{Store: to}
	fmt.Fprintf(stdout, "copied %d rooms, %d messages, from %s to %s\n", rooms, msgs, fromCfg.StoreName(), toCfg.StoreName())
	return 0
}

// checkCommand runs `gochat store check PATH` and returns its exit code.
func checkCommand(path string, stdout, stderr io.Writer) int {
	rep, err := store.CheckFile(path)
	if err != nil {
		fmt.Fprintln(stderr, "gochat store check:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: OK: %d rooms, %d messages; %d bytes of log in a file of %d\n", path, rep.Rooms, rep.Messages, rep.Log, rep.Size)
	if rep.Live {
		fmt.Fprintf(stdout, "%s: another process (a running gochat) holds it: read up to its last whole commit, and not checked past it\n", path)
	}
	if rep.Torn > 0 {
		fmt.Fprintf(stdout, "%s: a torn last write of %d bytes follows (a crash cut it short, and none of it was acknowledged): the next start drops it\n", path, rep.Torn)
	}
	return 0
}

// openSource opens the store name names as a copy's source: a file as a
// snapshot, which a running gochat may hold.
func openSource(name, prefix string) (store.Source, func() error, error) {
	if spec, err := store.ParseSpec(name); err == nil && spec.Kind == store.KindFile {
		snap, err := store.SnapshotFile(spec.Path)
		return snap, func() error { return nil }, err
	}
	st, err := openCopyable(name, prefix)
	if err != nil {
		return nil, nil, err
	}
	return st, st.Close, nil
}

// openCopyable opens the store name names for a copy.
func openCopyable(name, prefix string) (store.Copyable, error) {
	spec, err := store.ParseSpec(name)
	if err != nil {
		return nil, err
	}
	switch spec.Kind {
	case store.KindFile:
		return store.OpenFile(store.FileConfig{Path: spec.Path, History: copyHistory, MaxRooms: copyMaxRooms})
	case store.KindRedis:
		return store.OpenRedis(store.RedisConfig{URL: spec.URL, Prefix: prefix, History: copyHistory, MaxRooms: copyMaxRooms, StartTimeout: server.DefaultStoreTimeout})
	}
	return nil, fmt.Errorf("store %q: the memory store holds nothing once gochat stops; copy between file:PATH and redis://host:port/db", name)
}
