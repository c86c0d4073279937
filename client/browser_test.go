package client_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"gochat/internal/browsertest"
	"gochat/server"
)

// These tests drive the real client in headless Chromium (Debian's
// chromium package; ./test installs it) against a real gochat.

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Shorter names for the shared browser helpers.
type Page = browsertest.Page

var (
	MustBrowser = browsertest.MustBrowser
	NewPage     = browsertest.NewPage
)

const (
	wait     = browsertest.Wait
	messages = browsertest.Messages
)

func Eval[T any](p *Page, expr string) T { return browsertest.Eval[T](p, expr) }

// MustServer starts gochat on a free loopback port.
func MustServer(tb testing.TB, cfg server.Config) *server.Server {
	tb.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := server.Open(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { closeServer(tb, s) })
	return s
}

func closeServer(tb testing.TB, s *server.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		tb.Errorf("close: %v", err)
	}
}

// post posts a message over plain HTTP, as another client would.
func post(tb testing.TB, base, room, text string) {
	tb.Helper()
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	res, err := c.Post(base+"api/rooms/"+room+"/messages", "application/x-www-form-urlencoded", strings.NewReader("author=curl&text="+text))
	if err != nil || res.StatusCode != 201 {
		tb.Fatalf("post: %v %v", res, err)
	}
	res.Body.Close()
}

func TestTwoPagesChat(t *testing.T) {
	s := MustServer(t, server.Config{})
	b := MustBrowser(t)
	ann, bob := NewPage(t, b), NewPage(t, b)
	ann.Do(chromedp.Navigate(s.URL() + "#tea"))
	bob.Do(chromedp.Navigate(s.URL() + "#tea"))
	for _, p := range []*Page{ann, bob} {
		p.Until("connected", `document.getElementById("status").dataset.state === "connected"`)
	}
	ann.Do(chromedp.SetValue(chromedp.CSS("#name-input"), "ann"))
	ann.Send("hello bob\nsecond line")
	bob.Until("ann's message", messages+`.includes("hello bob\nsecond line")`)
	if got := Eval[string](ann, `localStorage.getItem("gochat.name")`); got != "ann" {
		t.Errorf("name not remembered: %q", got)
	}
	bob.Send("hi ann")
	ann.Until("bob's message", messages+`.includes("hi ann")`)
	// Each message once, in order, on both pages.
	for _, p := range []*Page{ann, bob} {
		p.Until("both messages", messages+`.length === 2`)
		if got := Eval[[]string](p, messages); got[0] != "hello bob\nsecond line" || got[1] != "hi ann" {
			t.Errorf("messages: %q", got)
		}
		p.NoCSPViolations()
	}
	if got := Eval[string](ann, `document.querySelector("#messages .message .author").textContent`); got != "ann" {
		t.Errorf("author: %q", got)
	}
	if got := Eval[string](ann, `document.getElementById("text-input").value`); got != "" {
		t.Errorf("the input was not cleared after sending: %q", got)
	}
}

func TestMessagesRenderAsText(t *testing.T) {
	s := MustServer(t, server.Config{})
	p := NewPage(t, MustBrowser(t))
	p.Do(chromedp.Navigate(s.URL() + "#xss"))
	p.Until("connected", `document.getElementById("status").dataset.state === "connected"`)
	const evil = `<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>`
	p.Send(evil)
	p.Until("the message", messages+`.length === 1`)
	if got := Eval[[]string](p, messages); got[0] != evil {
		t.Errorf("text: %q", got)
	}
	if n := Eval[int](p, `document.querySelectorAll("#messages img, #messages script").length`); n != 0 {
		t.Errorf("the message made %d elements", n)
	}
	if pwned := Eval[bool](p, `window.pwned !== undefined`); pwned {
		t.Error("the message ran script")
	}
	p.NoCSPViolations()
}

func TestSwitchRoomsByHash(t *testing.T) {
	s := MustServer(t, server.Config{})
	post(t, s.URL(), "lobby", "in+the+lobby")
	post(t, s.URL(), "kitchen", "in+the+kitchen")
	p := NewPage(t, MustBrowser(t))
	p.Do(chromedp.Navigate(s.URL()))
	p.Until("the lobby's history", messages+`.join() === "in the lobby"`)
	p.Do(chromedp.Evaluate[chromedp.Void](`location.hash = "kitchen"`))
	p.Until("the kitchen's history only", messages+`.join() === "in the kitchen"`)
	if room := Eval[string](p, `document.getElementById("room-input").value`); room != "kitchen" {
		t.Errorf("room field: %q", room)
	}
	// Only the kitchen is polled now: lobby messages do not show up.
	post(t, s.URL(), "lobby", "lobby+again")
	post(t, s.URL(), "kitchen", "kitchen+again")
	p.Until("the kitchen's new message", messages+`.join() === "in the kitchen,kitchen again"`)
	// The room form sets the hash.
	p.Do(chromedp.SetValue(chromedp.CSS("#room-input"), "lobby"), chromedp.Click(chromedp.CSS("#room-form button")))
	p.Until("back in the lobby", `location.hash === "#lobby" && `+messages+`.join() === "in the lobby,lobby again"`)
}

func TestRecoversFromServerRestart(t *testing.T) {
	s := MustServer(t, server.Config{})
	addr := s.Addr()
	post(t, s.URL(), "lobby", "before+the+restart")
	p := NewPage(t, MustBrowser(t))
	p.Do(chromedp.Navigate(s.URL()))
	p.Until("history", messages+`.join() === "before the restart"`)

	closeServer(t, s)
	p.Until("the reconnecting state", `document.getElementById("status").dataset.state === "reconnecting"`)
	if got := Eval[string](p, `document.getElementById("status").textContent`); got != "Reconnecting…" {
		t.Errorf("status: %q", got)
	}
	// A message sent while the server is away stays in the box, with the reason.
	p.Send("written while down")
	p.Until("the send error", `!document.getElementById("send-error").hidden`)
	if got := Eval[string](p, `document.getElementById("send-error").textContent`); !strings.Contains(got, "not sent") {
		t.Errorf("send error: %q", got)
	}
	if got := Eval[string](p, `document.getElementById("text-input").value`); got != "written while down" {
		t.Errorf("the input lost what was typed: %q", got)
	}

	s2 := MustServer(t, server.Config{Addr: addr})
	// The new server has a new life: the page resets (its old history is
	// gone) and then takes new messages.
	p.Until("connected again, reset", `document.getElementById("status").dataset.state === "connected" && `+messages+`.length === 0`)
	post(t, s2.URL(), "lobby", "after+the+restart")
	p.Until("new messages", messages+`.join() === "after the restart"`)
}

func TestEmbedCrossOrigin(t *testing.T) {
	blog := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// ?path= moves the page to a path Go's server would refuse, such
		// as one with a stray %, before the embed runs.
		var move string
		if path := r.URL.Query().Get("path"); path != "" {
			move = fmt.Sprintf(`<script>history.replaceState(null, "", %q)</script>`, path)
		}
		fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>A blog post</title></head>
<body style="font-family: Georgia, serif"><article><h1>A post</h1><p>Text.</p></article>
<div id="gochat-comments"></div>%s
<script type="module" src="%sembed.js"></script></body></html>`, move, r.URL.Query().Get("chat"))
	}))
	defer blog.Close()
	b := MustBrowser(t)

	t.Run("allowed", func(t *testing.T) {
		s := MustServer(t, server.Config{AllowOrigins: []string{blog.URL}})
		p := NewPage(t, b)
		p.Do(chromedp.Navigate(blog.URL + "/2026/11/my-post/?chat=" + s.URL()))
		const shadow = `document.getElementById("gochat-comments").shadowRoot`
		p.Until("the thread", shadow+` && `+shadow+`.querySelector(".status").textContent === "Connected"`)
		p.Do(chromedp.Evaluate[chromedp.Void](shadow + `.querySelector("textarea").value = "nice post"`))
		p.Do(chromedp.Evaluate[chromedp.Void](shadow + `.querySelector("form").requestSubmit()`))
		p.Until("the post", `!`+shadow+`.querySelector(".error").hidden || `+shadow+`.querySelectorAll(".text").length === 1`)
		if e := Eval[string](p, shadow+`.querySelector(".error").textContent`); e != "" {
			t.Fatalf("post from the embed: %s", e)
		}
		// The room comes from the page's path.
		post(t, s.URL(), "2026-11-my-post", "thanks")
		p.Until("both comments", `[...`+shadow+`.querySelectorAll(".text")].map(e => e.textContent).join() === "nice post,thanks"`)
		if font := Eval[string](p, `getComputedStyle(`+shadow+`.querySelector(".text")).fontFamily`); !strings.Contains(font, "Georgia") {
			t.Errorf("the thread does not inherit the page's font: %q", font)
		}
	})

	t.Run("stray percent in the path", func(t *testing.T) {
		s := MustServer(t, server.Config{AllowOrigins: []string{blog.URL}})
		p := NewPage(t, b)
		p.Do(chromedp.Navigate(blog.URL + "/?path=/sale-100%25-off&chat=" + s.URL()))
		if path := Eval[string](p, `location.pathname`); path != "/sale-100%-off" {
			t.Fatalf("the page is at %q", path)
		}
		const shadow = `document.getElementById("gochat-comments").shadowRoot`
		p.Until("the thread", shadow+` && `+shadow+`.querySelector(".status").textContent === "Connected"`)
		// The comment box counts code points too.
		p.Do(chromedp.Evaluate[chromedp.Void](shadow + `.querySelector("textarea").focus()`))
		insertText(t, p, strings.Repeat("😀", 1000)+"ok")
		if n := Eval[int](p, `[...`+shadow+`.querySelector("textarea").value].length`); n != 1002 {
			t.Errorf("the comment box holds %d code points, want 1002", n)
		}
		p.Do(chromedp.Evaluate[chromedp.Void](shadow + `.querySelector("form").requestSubmit()`))
		p.Until("the post", `!`+shadow+`.querySelector(".error").hidden || `+shadow+`.querySelectorAll(".text").length === 1`)
		if e := Eval[string](p, shadow+`.querySelector(".error").textContent`); e != "" {
			t.Fatalf("post from the embed: %s", e)
		}
		post(t, s.URL(), "sale-100--off", "thanks") // "%" becomes "-", as any other character rooms cannot hold
		p.Until("both comments in the room sale-100--off", `[...`+shadow+`.querySelectorAll(".text")].length === 2`)
	})

	t.Run("refused", func(t *testing.T) {
		s := MustServer(t, server.Config{})
		p := NewPage(t, b)
		p.Do(chromedp.Navigate(blog.URL + "/post/?chat=" + s.URL()))
		const shadow = `document.getElementById("gochat-comments").shadowRoot`
		p.Until("the refusal", shadow+` && `+shadow+`.querySelector(".status").textContent.includes("Cannot reach")`)
		p.Do(chromedp.Evaluate[chromedp.Void](shadow + `.querySelector("textarea").value = "spam from elsewhere"`))
		p.Do(chromedp.Evaluate[chromedp.Void](shadow + `.querySelector("form").requestSubmit()`))
		p.Until("the send error", `!`+shadow+`.querySelector(".error").hidden`)
		c := &http.Client{Transport: &http.Transport{}}
		defer c.CloseIdleConnections()
		res, err := c.Get(s.URL() + "api/rooms/post/messages")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if !strings.Contains(string(body), `"last":0`) {
			t.Errorf("a refused origin stored something: %s", body)
		}
	})
}

// TestScreenshots saves the page light and dark, at desktop and phone
// widths, under $TMPDIR/gochat-screenshots for people to look at.
func TestScreenshots(t *testing.T) {
	s := MustServer(t, server.Config{})
	for _, m := range []string{"ann=Has+anyone+tried+the+new+graph+reload%3F", "bob=Yes!+SIGHUP+and+the+Filter+was+live.+No+dropped+polls.",
		"ann=Nice.+Multi-line+works+too%3A%0A-+edit+chat.fbp%0A-+kill+-HUP", "cleo=%3Cb%3Enot+bold%3C%2Fb%3E+%E2%80%94+rendered+as+text"} {
		who, text, _ := strings.Cut(m, "=")
		c := &http.Client{Transport: &http.Transport{}}
		res, err := c.Post(s.URL()+"api/rooms/lobby/messages", "application/x-www-form-urlencoded", strings.NewReader("author="+who+"&text="+text))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		c.CloseIdleConnections()
	}
	dir := filepath.Join(os.TempDir(), "gochat-screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := NewPage(t, MustBrowser(t))
	for _, shot := range []struct {
		name          string
		width, height int64
		scheme        string
	}{
		{"desktop-light", 1100, 700, "light"},
		{"desktop-dark", 1100, 700, "dark"},
		{"phone-light", 390, 780, "light"},
		{"phone-dark", 390, 780, "dark"},
	} {
		if _, err := chromedp.Call(p.Ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: shot.scheme}},
		}); err != nil {
			t.Fatal(err)
		}
		p.Do(chromedp.EmulateViewport(shot.width, shot.height), chromedp.Navigate(s.URL()+"#lobby"))
		p.Until("the history", messages+`.length === 4 && document.getElementById("status").dataset.state === "connected"`)
		p.Do(chromedp.SetValue(chromedp.CSS("#name-input"), "dana"), chromedp.SetValue(chromedp.CSS("#text-input"), "Looks good on my phone"))
		png, err := chromedp.Run(p.Ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, shot.name+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("saved %s", path)
	}
	p.NoCSPViolations()
}

func TestNewMessagesMarkerAndGap(t *testing.T) {
	s := MustServer(t, server.Config{History: 40})
	for i := range 45 {
		post(t, s.URL(), "long", fmt.Sprint("message+", i))
	}
	p := NewPage(t, MustBrowser(t))
	p.Do(chromedp.EmulateViewport(800, 500), chromedp.Navigate(s.URL()+"#long"))
	p.Until("the history", messages+`.length === 40`)
	// The first 5 messages were trimmed: the page says so.
	p.Until("the gap notice", `!document.getElementById("notice").hidden`)
	// At the bottom, new messages scroll into view without a marker.
	post(t, s.URL(), "long", "at+the+bottom")
	p.Until("the new message", messages+`.at(-1) === "at the bottom"`)
	if hidden := Eval[bool](p, `document.getElementById("new-marker").hidden`); !hidden {
		t.Error("marker shown while reading at the bottom")
	}
	// Scrolled up to read, a new message shows the marker instead of moving.
	p.Do(chromedp.Evaluate[chromedp.Void](`document.getElementById("messages").scrollTop = 0`))
	post(t, s.URL(), "long", "while+reading")
	p.Until("the marker", `!document.getElementById("new-marker").hidden`)
	if top := Eval[float64](p, `document.getElementById("messages").scrollTop`); top != 0 {
		t.Errorf("the list moved while the reader was scrolled up: scrollTop %v", top)
	}
	p.Do(chromedp.Click(chromedp.CSS("#new-marker")))
	p.Until("the end of the list, marker gone", `document.getElementById("new-marker").hidden && (() => { const l = document.getElementById("messages"); return l.scrollHeight - l.scrollTop - l.clientHeight < 48 })()`)
}

// codePoints counts what a field holds in Unicode code points, the unit
// of the server's limits.
func codePoints(field string) string {
	return `[...document.querySelector(` + "`" + field + "`" + `).value].length`
}

// insertText types text at the caret in one go, as a paste or an input
// method does.
func insertText(tb testing.TB, p *Page, text string) {
	tb.Helper()
	if _, err := chromedp.Call(p.Ctx, input.InsertText, input.InsertTextParams{Text: text}); err != nil {
		tb.Fatal(err)
	}
}

// The page limits the text and the name in code points, as the server
// does, not in UTF-16 units: 1,000 emoji are half the limit.
func TestLimitsInCodePoints(t *testing.T) {
	s := MustServer(t, server.Config{})
	p := NewPage(t, MustBrowser(t))
	p.Do(chromedp.Navigate(s.URL() + "#long"))
	p.Until("connected", `document.getElementById("status").dataset.state === "connected"`)
	p.Do(chromedp.Focus(chromedp.CSS("#text-input")))
	insertText(t, p, strings.Repeat("😀", 1000))
	insertText(t, p, "abc")
	if n := Eval[int](p, codePoints("#text-input")); n != 1003 {
		t.Fatalf("after 1,000 emoji and abc the box holds %d code points, want 1003", n)
	}
	// Past the limit, what is typed is cut at the caret, the rest kept.
	p.Do(chromedp.Evaluate[chromedp.Void](`document.getElementById("text-input").setSelectionRange(2000, 2000)`)) // after the 1,000th emoji
	insertText(t, p, strings.Repeat("é", 1000))
	if got := Eval[string](p, `document.getElementById("text-input").value`); got != strings.Repeat("😀", 1000)+strings.Repeat("é", 997)+"abc" {
		t.Errorf("over the limit the box holds %d code points ending %q", len([]rune(got)), got[max(0, len(got)-12):])
	}
	if caret := Eval[int](p, `document.getElementById("text-input").selectionEnd`); caret != 2000+997 {
		t.Errorf("caret at UTF-16 offset %d, want %d", caret, 2000+997)
	}
	p.Enter(false)
	p.Until("the message", messages+`.length === 1`)
	if n := Eval[int](p, `[...`+messages+`[0]].length`); n != 2000 {
		t.Errorf("the stored message has %d code points, want 2000", n)
	}
	p.Do(chromedp.Focus(chromedp.CSS("#name-input")))
	insertText(t, p, strings.Repeat("🙂", 70))
	if n := Eval[int](p, codePoints("#name-input")); n != 64 {
		t.Errorf("the name holds %d code points, want 64", n)
	}
}

// Every message carries an Idempotency-Key: a retry of a failed send
// carries the same one, a new or edited message a new one.
func TestRetryKeepsIdempotencyKey(t *testing.T) {
	s := MustServer(t, server.Config{})
	target, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = tr
	proxy.ErrorLog = log.New(io.Discard, "", 0) // a poll the closing page drops
	var (
		mu   sync.Mutex
		keys []string // of every post, in order
	)
	fail := map[int]bool{1: true, 4: true} // these posts answer 503 and do not reach gochat
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			mu.Lock()
			keys = append(keys, r.Header.Get("Idempotency-Key"))
			n := len(keys)
			mu.Unlock()
			if fail[n] {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, `{"error":{"status":503,"message":"try again"}}`)
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { // after the page closed
		front.CloseClientConnections()
		front.Close()
		tr.CloseIdleConnections()
	})
	p := NewPage(t, MustBrowser(t))
	p.Do(chromedp.Navigate(front.URL + "/#keys"))
	p.Until("connected", `document.getElementById("status").dataset.state === "connected"`)
	failed := `!document.getElementById("send-error").hidden`

	p.Send("first")
	p.Until("the failure", failed)
	p.Do(chromedp.Focus(chromedp.CSS("#text-input"))) // the text stayed: send it again
	p.Enter(false)
	p.Until("the retry", messages+`.join() === "first"`)
	p.Send("second")
	p.Until("the second message", messages+`.join() === "first,second"`)
	p.Send("third")
	p.Until("the failure", failed)
	p.Do(chromedp.SendKeys(chromedp.CSS("#text-input"), "!")) // edited: a new message
	p.Enter(false)
	p.Until("the edited message", messages+`.join() === "first,second,third!"`)

	mu.Lock()
	defer mu.Unlock()
	keyRE := regexp.MustCompile(`^[A-Za-z0-9_-]{22,64}$`)
	for i, k := range keys {
		if !keyRE.MatchString(k) {
			t.Errorf("post %d: Idempotency-Key %q", i+1, k)
		}
	}
	if len(keys) != 5 || keys[0] != keys[1] || len(map[string]bool{keys[0]: true, keys[2]: true, keys[3]: true, keys[4]: true}) != 4 {
		t.Errorf("keys %q: want the first two equal (a retry) and the others new", keys)
	}
}
