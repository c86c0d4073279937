package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gochat/internal/redistest"
	"gochat/store"
)

// pages reads every room of s from the start.
func pages(t *testing.T, s store.Copyable) map[string]store.Page {
	t.Helper()
	ctx := context.Background()
	names, err := s.RoomNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Page{}
	for _, name := range names {
		p, err := s.Read(ctx, name, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i := range p.Messages {
			p.Messages[i].Time = p.Messages[i].Time.UTC()
		}
		out[name] = p
	}
	return out
}

// TestCopyRoundTrip copies a file store into Redis and back into a new
// file: every room arrives with its epoch, last id and retained messages,
// survives a restart of the file it went to, and takes its next post
// under the next id.
func TestCopyRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := MustFile(t, filepath.Join(dir, "src.db"), 5, 100)
	at := time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)
	for i := range 40 {
		room := fmt.Sprint("room", i%4)
		if _, err := src.Append(ctx, room, store.Draft{Author: "ann", Text: fmt.Sprint("t", i), Time: at.Add(time.Duration(i) * time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
	}
	src.Append(ctx, "one", store.Draft{Author: "bob", Text: "only", Time: at})
	want := pages(t, src)
	if len(want) != 5 || want["room0"].First != 6 || want["room0"].Last != 10 {
		t.Fatalf("the source: %+v", want)
	}

	srv := redistest.Start(t)
	rdb := MustRedis(t, srv.URL(), "copy:", 5, 100)
	if rooms, msgs, err := store.Copy(ctx, src, rdb); err != nil || rooms != 5 || msgs != 21 {
		t.Fatalf("file to redis: %d rooms, %d messages, %v", rooms, msgs, err)
	}
	if got := pages(t, rdb); !reflect.DeepEqual(got, want) {
		t.Errorf("file to redis:\n got %+v\nwant %+v", got, want)
	}

	path := filepath.Join(dir, "dst.db")
	dst, err := store.OpenFile(store.FileConfig{Path: path, History: 5, MaxRooms: 100})
	if err != nil {
		t.Fatal(err)
	}
	if rooms, msgs, err := store.Copy(ctx, rdb, dst); err != nil || rooms != 5 || msgs != 21 {
		t.Fatalf("redis to file: %d rooms, %d messages, %v", rooms, msgs, err)
	}
	dst.Close()
	dst = MustFile(t, path, 5, 100)
	if got := pages(t, dst); !reflect.DeepEqual(got, want) {
		t.Errorf("redis to file, after a restart:\n got %+v\nwant %+v", got, want)
	}
	for _, s := range []store.Store{rdb, dst} {
		if m, err := s.Append(ctx, "room0", store.Draft{Author: "ann", Text: "next", Time: at}); err != nil || m.ID != 11 {
			t.Errorf("the next post after a copy: %+v %v, want id 11", m, err)
		}
	}

	// A target that holds one of the rooms takes none of them.
	again := MustFile(t, filepath.Join(dir, "again.db"), 5, 100)
	again.Append(ctx, "room2", store.Draft{Text: "mine", Time: at})
	if _, _, err := store.Copy(ctx, src, again); err == nil || !strings.Contains(err.Error(), `room "room2"`) {
		t.Errorf("a copy into a store that holds a room: %v", err)
	}
	if names, _ := again.RoomNames(ctx); len(names) != 1 {
		t.Errorf("a refused copy wrote rooms: %v", names)
	}
	if err := again.PutRoom(ctx, store.Room{Name: "room2", Epoch: "e", Last: 1}); !errors.Is(err, store.ErrRoomExists) {
		t.Errorf("PutRoom of a room the store holds: %v", err)
	}
}
