package store

import (
	"strings"
	"testing"
)

func page(last, first uint64, ids ...uint64) Page {
	p := Page{Room: "r", Epoch: "e", Last: last, First: first, Messages: []Message{}}
	for _, id := range ids {
		p.Messages = append(p.Messages, Message{ID: id})
	}
	return p
}

func TestPageAfter(t *testing.T) {
	for _, c := range []struct {
		name  string
		p     Page
		since uint64
		want  []uint64 // nil: an error
		err   string
	}{
		{"empty room", page(0, 0), 0, []uint64{}, ""},
		{"all", page(3, 1, 1, 2, 3), 0, []uint64{1, 2, 3}, ""},
		{"the newer ones", page(3, 1, 1, 2, 3), 1, []uint64{2, 3}, ""},
		{"up to date", page(3, 1, 1, 2, 3), 3, []uint64{}, ""},
		{"gap: trimmed history", page(9, 7, 7, 8, 9), 2, []uint64{7, 8, 9}, ""},
		{"nothing retained", page(9, 0), 2, []uint64{}, ""},
		{"read from a later since", page(4, 1, 4), 2, nil, "owed id 3 first"},
		{"empty but behind", page(4, 1), 2, nil, "lacks ids 3 to 4"},
		{"a hole", page(4, 1, 2, 4), 1, nil, "id 4 where 3 belongs"},
		{"ends before last", page(5, 1, 2, 3), 1, nil, "ends at id 3, before last 5"},
		{"above last", page(2, 1, 1, 2, 3), 2, nil, "above last"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.p.After(c.since)
			if c.want == nil {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("After(%d) = %v, %v; want an error with %q", c.since, got.Messages, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("After(%d): %v", c.since, err)
			}
			if len(got.Messages) != len(c.want) {
				t.Fatalf("After(%d) = %v, want ids %v", c.since, got.Messages, c.want)
			}
			for i, m := range got.Messages {
				if m.ID != c.want[i] {
					t.Fatalf("After(%d) = %v, want ids %v", c.since, got.Messages, c.want)
				}
			}
		})
	}
}
