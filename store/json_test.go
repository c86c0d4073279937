package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"gochat/store"
)

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote \" back \\ slash", "<script>&amp;</script>", "tab\tnew\nline\rcr",
		"\x00\x01\x1f\x7f", "é 🙂 中文", "\u2028\u2029", "bad \xff\xfe utf8", string([]byte{0xe2, 0x82})} {
		want, _ := json.Marshal(s)
		if got := store.AppendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
	m := store.Message{ID: 7, Room: "r", Author: "<a>", Text: "x\ny", Time: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)}
	got, _ := json.Marshal(m)
	want := `{"id":7,"room":"r","author":"\u003ca\u003e","text":"x\ny","time":"2026-01-02T03:04:05.006Z"}`
	if string(got) != want {
		t.Errorf("message: %s", got)
	}
	var back store.Message
	if err := json.Unmarshal(got, &back); err != nil || back != m {
		t.Errorf("round trip: %+v %v", back, err)
	}
}
