package history

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what Errorf says.
type recorder struct {
	testing.TB
	out []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.out = append(r.out, fmt.Sprintf(format, args...))
}

func msgs(ids ...uint64) []Message {
	out := make([]Message, len(ids))
	for i, id := range ids {
		out[i] = Message{ID: id, Text: fmt.Sprint("m", id)}
	}
	return out
}

func TestCheckFindsEachViolation(t *testing.T) {
	for _, c := range []struct {
		name     string
		retained int
		acked    []uint64
		answers  []Answer // to one reader, in order
		want     string   // "" for a clean history
	}{
		{"clean", 0, []uint64{1, 2, 3}, []Answer{
			{Epoch: "e", Last: 0, Messages: msgs()},
			{Epoch: "e", Last: 2, Messages: msgs(1, 2)},
			{Epoch: "e", Last: 3, Messages: msgs(3)},
		}, ""},
		{"empty answer behind last", 0, []uint64{1, 2}, []Answer{
			{Epoch: "e", Last: 2, Messages: msgs()},
		}, "no messages came"},
		{"skip without gap", 0, []uint64{1, 2, 3}, []Answer{
			{Epoch: "e", Last: 1, Messages: msgs(1)},
			{Epoch: "e", Last: 3, Messages: msgs(3)},
		}, "without gap"},
		{"gap without cause", 5, []uint64{1, 2, 3}, []Answer{
			{Epoch: "e", Last: 3, Messages: msgs(2, 3), Gap: true},
		}, "retains only 2 of 5"},
		{"gap with cause", 2, []uint64{1, 2, 3}, []Answer{
			{Epoch: "e", Last: 3, Messages: msgs(2, 3), Gap: true},
		}, ""},
		{"reset without cause", 0, []uint64{1}, []Answer{
			{Epoch: "", Last: 0, Messages: msgs()},
			{Epoch: "e", Last: 1, Messages: msgs(1), Reset: true},
		}, "reset without cause"},
		{"messages end before last", 0, []uint64{1, 2}, []Answer{
			{Epoch: "e", Last: 2, Messages: msgs(1)},
		}, "not at last 2"},
		{"missed an acknowledged id", 0, []uint64{1, 2, 3}, []Answer{
			{Epoch: "e", Last: 2, Messages: msgs(1, 2)},
		}, "missed 1 acknowledged ids"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := New(c.retained)
			for _, id := range c.acked {
				h.Acked("r", Message{ID: id, Text: fmt.Sprint("m", id)})
			}
			r := h.Reader("r")
			for _, a := range c.answers {
				since, epoch := r.Next()
				r.Saw(since, epoch, a)
			}
			rec := &recorder{TB: t}
			h.CheckComplete(rec)
			got := strings.Join(rec.out, "\n")
			if c.want == "" && got != "" || !strings.Contains(got, c.want) {
				t.Errorf("Check said %q, want %q", got, c.want)
			}
		})
	}
}

func TestCheckFindsDuplicates(t *testing.T) {
	h := New(0)
	h.Acked("r", Message{ID: 1, Text: "hello"})
	r := h.Reader("r")
	r.Saw(0, "", Answer{Epoch: "e", Last: 2, Messages: []Message{{ID: 1, Text: "hello"}, {ID: 2, Text: "hello"}}})
	rec := &recorder{TB: t}
	h.Check(rec)
	if len(rec.out) != 1 || !strings.Contains(rec.out[0], `"hello" is stored twice, as ids 1 and 2`) {
		t.Errorf("Check said %q", rec.out)
	}
}

// texts returns messages with the given ids whose texts are prefix+id.
func texts(prefix string, ids ...uint64) []Message {
	out := make([]Message, len(ids))
	for i, id := range ids {
		out[i] = Message{ID: id, Text: fmt.Sprint(prefix, id)}
	}
	return out
}

func TestCheckFollowsARoomsNewLife(t *testing.T) {
	ack := func(h *History, ms []Message) {
		for _, m := range ms {
			h.Acked("r", m)
		}
	}
	saw := func(r *Reader, a Answer) {
		since, epoch := r.Next()
		r.Saw(since, epoch, a)
	}
	for _, c := range []struct {
		name string
		run  func(h *History, r *Reader)
		want string // "" for a clean history
	}{
		{"reset into the new life", func(h *History, r *Reader) {
			ack(h, texts("old", 1, 2, 3))
			saw(r, Answer{Epoch: "e1", Last: 2, Messages: texts("old", 1, 2)})
			h.Lost("r") // id 3 is lost with the old life
			ack(h, texts("new", 1, 2))
			saw(r, Answer{Epoch: "", Last: 0, Reset: true})
			saw(r, Answer{Epoch: "e2", Last: 1, Messages: texts("new", 1)})
			saw(r, Answer{Epoch: "e2", Last: 2, Messages: texts("new", 2)})
		}, ""},
		{"a write retried into the new life", func(h *History, r *Reader) {
			ack(h, texts("old", 1))
			saw(r, Answer{Epoch: "e1", Last: 2, Messages: []Message{{1, "old1"}, {2, "retried"}}})
			h.Lost("r")
			h.Acked("r", Message{ID: 1, Text: "retried"})
			saw(r, Answer{Epoch: "e2", Last: 1, Messages: []Message{{1, "retried"}}, Reset: true})
		}, ""},
		{"new life missed", func(h *History, r *Reader) {
			ack(h, texts("old", 1))
			saw(r, Answer{Epoch: "e1", Last: 1, Messages: texts("old", 1)})
			h.Lost("r")
			ack(h, texts("new", 1, 2))
			saw(r, Answer{Epoch: "e2", Last: 1, Messages: texts("new", 1), Reset: true})
		}, "missed 1 acknowledged ids of life 1"},
		{"never reset into the new life", func(h *History, r *Reader) {
			ack(h, texts("old", 1, 2))
			saw(r, Answer{Epoch: "e1", Last: 2, Messages: texts("old", 1, 2)})
			h.Lost("r")
			ack(h, texts("new", 1))
		}, "missed 1 acknowledged ids of life 1"},
		{"new epoch without reset", func(h *History, r *Reader) {
			ack(h, texts("old", 1))
			saw(r, Answer{Epoch: "e1", Last: 1, Messages: texts("old", 1)})
			h.Lost("r")
			ack(h, texts("new", 1, 2))
			saw(r, Answer{Epoch: "e2", Last: 2, Messages: texts("new", 2)})
		}, `the epoch is "e2" now, but the reader was not reset`},
		{"new epoch, same messages", func(h *History, r *Reader) {
			ack(h, texts("m", 1, 2))
			saw(r, Answer{Epoch: "e1", Last: 2, Messages: texts("m", 1, 2)})
			saw(r, Answer{Epoch: "e2", Last: 2, Messages: texts("m", 1, 2), Reset: true})
		}, `came under epochs ["e1" "e2"]`},
		{"new life under the old epoch", func(h *History, r *Reader) {
			ack(h, texts("old", 1, 2))
			saw(r, Answer{Epoch: "e1", Last: 2, Messages: texts("old", 1, 2)})
			h.Lost("r")
			ack(h, texts("new", 1))
			saw(r, Answer{Epoch: "e1", Last: 1, Messages: texts("new", 1), Reset: true})
		}, `epoch "e1" names two lives`},
		{"stored twice in the new life", func(h *History, r *Reader) {
			ack(h, texts("old", 1))
			h.Lost("r")
			h.Acked("r", Message{ID: 1, Text: "twice"})
			saw(r, Answer{Epoch: "e2", Last: 2, Messages: []Message{{1, "twice"}, {2, "twice"}}})
		}, `"twice" is stored twice, as ids 1 and 2`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := New(0)
			c.run(h, h.Reader("r"))
			rec := &recorder{TB: t}
			h.CheckComplete(rec)
			got := strings.Join(rec.out, "\n")
			if c.want == "" && got != "" || !strings.Contains(got, c.want) {
				t.Errorf("Check said %q, want %q", got, c.want)
			}
		})
	}
}
