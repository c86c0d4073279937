package components_test

import (
	"reflect"
	"testing"

	"gochat/components"
)

// ConfigParse returns the Parse of comp's configuration port port.
func ConfigParse(tb testing.TB, comp components.Configurable, port string) func(string) (any, error) {
	tb.Helper()
	for _, c := range comp.ConfigPorts() {
		if c.Port == port {
			return c.Parse
		}
	}
	tb.Fatalf("%T has no configuration port %s", comp, port)
	return nil
}

// TestConfigPortsDescribed: every port an initial packet can feed is a
// described configuration port, read from the component's type without
// building one, and its default reads back as what the port takes.
func TestConfigPortsDescribed(t *testing.T) {
	for _, info := range components.Catalog() {
		if info.Type != reflect.TypeOf(info.New(components.Deps{})) {
			t.Errorf("%s: Type %v is not what New returns", info.Name, info.Type)
		}
		names := map[string]bool{}
		for _, p := range info.Ports() {
			if p.Description == "" {
				t.Errorf("%s.%s has no description", info.Name, p.Name)
			}
			k := p.Elem.Kind()
			plain := k != reflect.Pointer && k != reflect.Interface && k != reflect.Chan && k != reflect.Func
			if !p.In || !plain {
				if p.Config != nil {
					t.Errorf("%s.%s is described as configuration but takes %s", info.Name, p.Name, p.Elem)
				}
				continue
			}
			c := p.Config
			if c == nil {
				t.Errorf("%s.%s takes %s but is not a described configuration port", info.Name, p.Name, p.Elem)
				continue
			}
			names[c.Port] = true
			if c.Type == "" || c.Parse == nil {
				t.Errorf("%s.%s: type %q, parse %v: both are needed", info.Name, p.Name, c.Type, c.Parse != nil)
				continue
			}
			// A required port (a Webhook's URL) has no default; an
			// optional one has one, "" where the empty text is it (a
			// Webhook's SECRET: none).
			if p.Required {
				if c.Default != "" {
					t.Errorf("%s.%s has a default, so it must be optional", info.Name, p.Name)
				}
				continue
			}
			v, err := c.Parse(c.Default)
			if err != nil || reflect.TypeOf(v) != p.Elem {
				t.Errorf("%s.%s: its default %q reads as %T, %v; the port takes %s", info.Name, p.Name, c.Default, v, err, p.Elem)
			}
			for _, allowed := range c.Values {
				if _, err := c.Parse(allowed); err != nil {
					t.Errorf("%s.%s refuses its own value %q: %v", info.Name, p.Name, allowed, err)
				}
			}
		}
		for _, c := range components.ConfigPortsOf(info.Type) {
			if !names[c.Port] {
				t.Errorf("%s describes %s, which is not one of its configuration ports", info.Name, c.Port)
			}
		}
	}
}

// TestConfigErrors: each configuration port refuses what it cannot take,
// in the component's words, and takes what it can. Every configuration
// port of the catalogue must have a case it refuses here.
func TestConfigErrors(t *testing.T) {
	refused := map[string]bool{} // type.Port
	for _, tc := range []struct {
		comp       components.Configurable
		port, text string
		want       string // the error; "" to accept
	}{
		{(*components.Filter)(nil), "Mode", "block", "MODE is reject or mask, got 'block'"},
		{(*components.Filter)(nil), "Mode", "", "MODE is reject or mask, got ''"},
		{(*components.Filter)(nil), "Mode", "mask", ""},
		{(*components.Filter)(nil), "Words", "spam", `WORDS takes a list of words as JSON, e.g. '["spam","scam"]', got 'spam'`},
		{(*components.Filter)(nil), "Words", `["spam", "sp am"]`, `WORDS lists "sp am", which is not one word: it would never match (list its words one by one)`},
		{(*components.Filter)(nil), "Words", `["spam", "scam"]`, ""},
		{(*components.Storage)(nil), "Capacity", "-1", "CAPACITY takes a number of parked reads from 0 to 1048576, got '-1'"},
		{(*components.Storage)(nil), "Capacity", "many", "CAPACITY takes a number of parked reads, got 'many'"},
		{(*components.Storage)(nil), "Capacity", "0", ""},
		{(*components.Storage)(nil), "PerClient", "1.5", "PERCLIENT takes a number of parked reads, got '1.5'"},
		{(*components.Storage)(nil), "PerClient", "2000000", "PERCLIENT takes a number of parked reads from 0 to 1048576, got '2000000'"},
		{(*components.Storage)(nil), "PerClient", "100", ""},
		{(*components.RateLimit)(nil), "Rate", "fast", "RATE takes a number of tokens a second, got 'fast'"},
		{(*components.RateLimit)(nil), "Rate", "0", "RATE takes a number of tokens a second above 0 and at most 1000000, got '0'"},
		{(*components.RateLimit)(nil), "Rate", "NaN", "RATE takes a number of tokens a second above 0 and at most 1000000, got 'NaN'"},
		{(*components.RateLimit)(nil), "Rate", "0.5", ""},
		{(*components.RateLimit)(nil), "Burst", "0", "BURST takes a number of tokens from 1 to 1048576, got '0'"},
		{(*components.RateLimit)(nil), "Burst", "3", ""},
		{(*components.Transcript)(nil), "Path", "/dev/null", "PATH must be a regular file or 'stdout': /dev/null is a character device"},
		{(*components.Transcript)(nil), "Path", "stdout", ""},
		{(*components.Webhook)(nil), "Url", "https://hooks.example.com/gochat?x=1", ""},
		{(*components.Webhook)(nil), "Url", "http://127.0.0.1:8080/", ""},
		{(*components.Webhook)(nil), "Url", "ftp://example.com/", "URL must be an http:// or https:// URL, got 'ftp://example.com/'"},
		{(*components.Webhook)(nil), "Url", "example.com/hook", "URL must be an http:// or https:// URL, got 'example.com/hook'"},
		{(*components.Webhook)(nil), "Url", "http://", "URL must be an http:// or https:// URL, got 'http://'"},
		{(*components.Webhook)(nil), "Url", "http://exa mple.com/", "URL must be an http:// or https:// URL, got 'http://exa mple.com/'"},
		{(*components.Webhook)(nil), "Timeout", "250ms", ""},
		{(*components.Webhook)(nil), "Timeout", "fast", "TIMEOUT takes a positive duration up to 1m0s such as '5s', got 'fast'"},
		{(*components.Webhook)(nil), "Timeout", "0s", "TIMEOUT takes a positive duration up to 1m0s such as '5s', got '0s'"},
		{(*components.Webhook)(nil), "Timeout", "-1s", "TIMEOUT takes a positive duration up to 1m0s such as '5s', got '-1s'"},
		{(*components.Webhook)(nil), "Timeout", "2h", "TIMEOUT takes a positive duration up to 1m0s such as '5s', got '2h'"},
		{(*components.Webhook)(nil), "Secret", "any text at all", ""},
	} {
		_, err := ConfigParse(t, tc.comp, tc.port)(tc.text)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || err.Error() != tc.want) {
			t.Errorf("%T %s %q: got %v, want %q", tc.comp, tc.port, tc.text, err, tc.want)
		}
		if tc.want != "" {
			refused[reflect.TypeOf(tc.comp).String()+"."+tc.port] = true
		}
	}
	// Ports that take any text, so refuse nothing.
	refused["*components.Webhook.Secret"] = true
	for _, info := range components.Catalog() {
		for _, c := range components.ConfigPortsOf(info.Type) {
			if !refused[info.Type.String()+"."+c.Port] {
				t.Errorf("%s.%s: no case above shows what it refuses", info.Name, c.Port)
			}
		}
	}
}
