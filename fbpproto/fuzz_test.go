package fbpproto

import (
	"encoding/json"
	"testing"
)

// FuzzDecode: Decode never panics; what it accepts has a protocol, a
// command and an object payload, and encodes back to a message it
// accepts again with the same fields.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"protocol":"runtime","command":"getruntime","payload":{}}`,
		`{"protocol":"graph","command":"addnode","payload":{"id":"a","component":"core/Repeat","graph":"g","metadata":{"x":1}},"secret":"s"}`,
		`{"protocol":"graph","command":"addinitial","payload":{"src":{"data":[1,{"a":null}]},"tgt":{"node":"a","port":"in","index":0},"graph":"g","secret":"p"}}`,
		`{"protocol":"network","command":"start"}`,
		`{"protocol":"network","command":"start","payload":null}`,
		`{"protocol":"component","command":"list","payload":[]}`,
		`{"protocol":1,"command":"x"}`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		`{"protocol":"graph","command":"clear","payload":{"id":"\u0000\"}`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		if m.Protocol == "" || m.Command == "" || len(m.Payload) == 0 || m.Payload[0] != '{' {
			t.Fatalf("Decode(%q) accepted %+v", b, m)
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", m, err)
		}
		m2, err := Decode(again)
		if err != nil || m2.Protocol != m.Protocol || m2.Command != m.Command || m2.Secret != m.Secret {
			t.Fatalf("Decode(%q) = %+v, but its encoding %s decodes to %+v, %v", b, m, again, m2, err)
		}
	})
}
