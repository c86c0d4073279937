package client_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"gochat/internal/browsertest"
	"gochat/internal/testutil"
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

// evalAwait evaluates a JavaScript expression whose value is a promise, and
// returns what it resolves to.
func evalAwait[T any](tb testing.TB, p *Page, expr string) T {
	tb.Helper()
	v, err := chromedp.Run(p.Ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

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

// Links to http: and https: URLs are clickable; anything else, and any
// markup around or inside a URL, stays text.
func TestLinks(t *testing.T) {
	s := MustServer(t, server.Config{})
	p := NewPage(t, MustBrowser(t))
	p.Do(chromedp.Navigate(s.URL() + "#links"))
	p.Until("connected", `document.getElementById("status").dataset.state === "connected"`)
	texts := []string{
		"see https://example.org/a_(b)?q=1#top, and (http://example.com/x).",
		`javascript:alert(1) and JAVASCRIPT:alert(2) and data:text/html,<script>window.pwned=3</script>`,
		`http://x/"><img src=x onerror="window.pwned=4">`,
		`https://a.b/<script>window.pwned=5</script>`,
		`<a href="javascript:window.pwned=6">click</a> https://ok.example/"onmouseover="window.pwned=7`,
		"HTTPS://EXAMPLE.NET/Caps and http:// and https://",
	}
	for i, text := range texts {
		p.Send(text)
		p.Until("the message", messages+fmt.Sprintf(`.length === %d`, i+1))
	}
	if got := Eval[[]string](p, messages); !slices.Equal(got, texts) {
		t.Errorf("texts:\n got %q\nwant %q", got, texts)
	}
	type link struct{ Text, Href, Rel, Target string }
	got := Eval[[]link](p, `[...document.querySelectorAll("#messages a")].map(a => ({text: a.textContent, href: a.getAttribute("href"), rel: a.rel, target: a.target}))`)
	want := []link{
		{"https://example.org/a_(b)?q=1#top", "https://example.org/a_(b)?q=1#top", "", ""},
		{"http://example.com/x", "http://example.com/x", "", ""},
		{"http://x/", "http://x/", "", ""},
		{"https://a.b/", "https://a.b/", "", ""},
		{"https://ok.example/", "https://ok.example/", "", ""},
		{"HTTPS://EXAMPLE.NET/Caps", "https://example.net/Caps", "", ""},
	}
	for i := range want {
		want[i].Rel, want[i].Target = "noopener noreferrer nofollow ugc", "_blank"
	}
	if !slices.Equal(got, want) {
		t.Errorf("links:\n got %+v\nwant %+v", got, want)
	}
	if n := Eval[int](p, `document.querySelectorAll("#messages img, #messages script, #messages [onerror], #messages [onmouseover]").length`); n != 0 {
		t.Errorf("the messages made %d elements or handlers", n)
	}
	if pwned := Eval[bool](p, `window.pwned !== undefined`); pwned {
		t.Error("a message ran script")
	}
	p.NoCSPViolations()
}

// mine is a JavaScript expression for the texts of the messages the page
// shows as its own.
const mine = `[...document.querySelectorAll("#messages .message.mine .text")].map(e => e.textContent)`

// postAs posts a message as author over plain HTTP, as another client would.
func postAs(tb testing.TB, base, room, author, text string) {
	tb.Helper()
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	res, err := c.PostForm(base+"api/rooms/"+room+"/messages", url.Values{"author": {author}, "text": {text}})
	if err != nil || res.StatusCode != 201 {
		tb.Fatalf("post: %v %v", res, err)
	}
	res.Body.Close()
}

// Your own messages are the ones this browser posted, not every message
// under your name or as anonymous.
func TestOwnMessages(t *testing.T) {
	s := MustServer(t, server.Config{})
	b := MustBrowser(t)
	p := NewPage(t, b)
	p.Do(chromedp.Navigate(s.URL() + "#own"))
	p.Until("connected", `document.getElementById("status").dataset.state === "connected"`)
	p.Send("mine, anonymous")
	p.Until("the message", messages+`.length === 1`)
	postAs(t, s.URL(), "own", "", "someone else, anonymous")
	p.Do(chromedp.SetValue(chromedp.CSS("#name-input"), "ann"))
	p.Send("mine, as ann")
	p.Until("the message", messages+`.length === 3`)
	postAs(t, s.URL(), "own", "ann", "someone else, as ann")
	p.Until("all four", messages+`.length === 4`)
	want := []string{"mine, anonymous", "mine, as ann"}
	if got := Eval[[]string](p, mine); !slices.Equal(got, want) {
		t.Errorf("shown as mine: %q, want %q", got, want)
	}
	// The same browser remembers them: after a reload, and in another tab.
	p.Do(chromedp.Reload())
	p.Until("the history", messages+`.length === 4`)
	if got := Eval[[]string](p, mine); !slices.Equal(got, want) {
		t.Errorf("after a reload, shown as mine: %q, want %q", got, want)
	}
	tab := NewPage(t, b)
	tab.Do(chromedp.Navigate(s.URL() + "#own"))
	tab.Until("the history", messages+`.length === 4`)
	if got := Eval[[]string](tab, mine); !slices.Equal(got, want) {
		t.Errorf("in another tab, shown as mine: %q, want %q", got, want)
	}
	// Another browser, with the same name, posted none of them.
	other := NewPage(t, MustBrowser(t))
	other.Do(chromedp.Navigate(s.URL() + "#own"))
	other.Until("the history", messages+`.length === 4`)
	other.Do(chromedp.SetValue(chromedp.CSS("#name-input"), "ann"))
	if got := Eval[[]string](other, mine); len(got) != 0 {
		t.Errorf("another browser shows as its own: %q", got)
	}
	// The ids kept are bounded per room, the newest kept.
	kept := evalAwait[[]int](t, p, `import("./app.js").then(({ MyMessages, MY_IDS_PER_ROOM }) => {
		const m = new MyMessages("bounded");
		for (let id = 1; id <= MY_IDS_PER_ROOM + 100; id++) m.add(id, "e1");
		const again = new MyMessages("bounded");
		return [MY_IDS_PER_ROOM, again.has(100) ? 1 : 0, again.has(101) ? 1 : 0, again.has(MY_IDS_PER_ROOM + 100) ? 1 : 0];
	})`)
	if !slices.Equal(kept, []int{500, 0, 1, 1}) {
		t.Errorf("after 600 ids: [limit, has oldest, has 101st, has newest] = %v, want [500 0 1 1]", kept)
	}
}

// An empty room says so and invites the first message; a room with
// messages does not.
func TestEmptyRoom(t *testing.T) {
	s := MustServer(t, server.Config{})
	post(t, s.URL(), "busy", "hello")
	p := NewPage(t, MustBrowser(t))
	p.Do(chromedp.Navigate(s.URL() + "#quiet"))
	const empty = `document.getElementById("empty")`
	p.Until("the empty room's invitation", `!`+empty+`.hidden`)
	if got := Eval[string](p, empty+`.textContent`); got != "No messages in #quiet yet. Write the first one below." {
		t.Errorf("empty room: %q", got)
	}
	p.Send("first!")
	p.Until("the first message, the invitation gone", messages+`.join() === "first!" && `+empty+`.hidden`)
	p.Do(chromedp.Evaluate[chromedp.Void](`location.hash = "busy"`))
	p.Until("the busy room", messages+`.join() === "hello"`)
	if hidden := Eval[bool](p, empty+`.hidden`); !hidden {
		t.Error("a room with messages says it is empty")
	}
	p.Do(chromedp.Evaluate[chromedp.Void](`location.hash = "quiet2"`))
	p.Until("another empty room's invitation", `!`+empty+`.hidden && `+empty+`.textContent.includes("#quiet2")`)
}

// noSideScroll is a JavaScript expression listing what scrolls sideways:
// the page, or any element of it holding more than its width (but a text
// cut off with an ellipsis, on purpose).
const noSideScroll = `(() => {
	const d = document.documentElement, out = [];
	if (d.scrollWidth > d.clientWidth) out.push("the page: " + d.scrollWidth + " > " + d.clientWidth);
	for (const e of document.querySelectorAll("body *")) {
		if (e.matches("input, textarea")) continue; // what they hold scrolls inside them, as it should
		const cs = getComputedStyle(e); // a box that scrolls sideways, or cuts what it holds off without an ellipsis
		if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0 && cs.overflowX !== "visible" && cs.textOverflow !== "ellipsis")
			out.push((e.id || e.className || e.tagName) + ": " + e.scrollWidth + " > " + e.clientWidth);
	}
	return out;
})()`

// Long names, words and URLs wrap at every width down to 320 px: nothing
// scrolls sideways. The message box's placeholder fits a phone.
func TestNoHorizontalScroll(t *testing.T) {
	s := MustServer(t, server.Config{})
	room := strings.Repeat("r", 64)
	name := strings.Repeat("n", 64)
	long := []string{
		"https://example.org/" + strings.Repeat("path/", 40) + "?q=" + strings.Repeat("x", 100),
		"a" + strings.Repeat("long", 80) + "word",
		strings.Repeat("😀", 100),
	}
	for _, text := range long {
		postAs(t, s.URL(), room, name, text)
	}
	p := NewPage(t, MustBrowser(t))
	for _, width := range []int64{320, 390, 1280} {
		p.Do(chromedp.EmulateViewport(width, 700), chromedp.Navigate(fmt.Sprintf("%s?width=%d#%s", s.URL(), width, room)))
		p.Until("the history", messages+`.length === 3 && document.getElementById("status").dataset.state === "connected"`)
		p.Do(chromedp.SetValue(chromedp.CSS("#name-input"), name))
		if got := Eval[[]string](p, noSideScroll); len(got) != 0 {
			t.Errorf("at %d px, wider than the screen: %q", width, got)
		}
		fits := Eval[[]float64](p, `(() => {
			const t = document.getElementById("text-input"), cs = getComputedStyle(t);
			const c = document.createElement("canvas").getContext("2d");
			c.font = cs.fontStyle + " " + cs.fontWeight + " " + cs.fontSize + " " + cs.fontFamily;
			return [c.measureText(t.placeholder).width, t.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)];
		})()`)
		if fits[0] > fits[1] {
			t.Errorf("at %d px the placeholder is %.0f px wide, the box %.0f px", width, fits[0], fits[1])
		}
	}
}

// What the status says never moves the Join button, nor the list below.
func TestStatusDoesNotShiftJoin(t *testing.T) {
	s := MustServer(t, server.Config{})
	p := NewPage(t, MustBrowser(t))
	for _, width := range []int64{320, 390, 1280} {
		p.Do(chromedp.EmulateViewport(width, 700), chromedp.Navigate(fmt.Sprintf("%s?width=%d#status", s.URL(), width)))
		p.Until("connected", `document.getElementById("status").dataset.state === "connected"`)
		where := func(state, text string) string {
			return Eval[string](p, fmt.Sprintf(`(() => {
				const s = document.getElementById("status");
				s.dataset.state = %q;
				s.textContent = %q;
				const j = document.querySelector("#room-form button").getBoundingClientRect();
				const m = document.getElementById("messages").getBoundingClientRect();
				return [j.x, j.y, j.width, j.height, m.y].join(" ");
			})()`, state, text))
		}
		connected := where("connected", "Connected")
		for _, st := range [][2]string{{"connecting", "Connecting…"}, {"reconnecting", "Reconnecting…"},
			{"error", "Problem: this server holds as many rooms as it may, and the reason goes on for a while longer than any status should"}} {
			if got := where(st[0], st[1]); got != connected {
				t.Errorf("at %d px, %q moves the Join button and the list (x y width height, list y) from %s to %s", width, st[1], connected, got)
			}
		}
		if got := Eval[[]string](p, noSideScroll); len(got) != 0 {
			t.Errorf("at %d px with a long status, wider than the screen: %q", width, got)
		}
	}
}

// Leaving the page ends its long-poll at once: reloads do not pile up
// polls that hold the browser's connections to the server.
func TestReloadEndsThePoll(t *testing.T) {
	s := MustServer(t, server.Config{})
	p := NewPage(t, MustBrowser(t))
	parked := func() int64 { return s.Stats().Parked.Load() }
	for i := range 8 {
		p.Do(chromedp.Navigate(fmt.Sprintf("%s?load=%d#reload", s.URL(), i)))
		p.Until("connected", `document.getElementById("status").dataset.state === "connected"`)
		testutil.WaitFor(t, "the page's poll parked", func() bool { return parked() >= 1 })
		if n := parked(); n > 2 { // its own, and at most one the server has not yet seen leave
			t.Fatalf("load %d: %d polls parked: the pages left behind still hold theirs", i, n)
		}
	}
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
	p.Send("mine before the restart")
	p.Until("the page's message", messages+`.length === 2`)

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
	// The new server has a new life: the page keeps what it showed, says
	// that those messages are gone from the server, and takes new ones.
	const restarted = `[...document.querySelectorAll("#messages .restarted")].map(e => e.textContent)`
	p.Until("connected again, the restart shown", `document.getElementById("status").dataset.state === "connected" && `+restarted+`.length === 1`)
	if got := Eval[[]string](p, restarted); got[0] != "The server restarted; messages before this are gone." {
		t.Errorf("restart notice: %q", got)
	}
	if got := Eval[[]string](p, messages); !slices.Equal(got, []string{"before the restart", "mine before the restart"}) {
		t.Errorf("after the restart the page shows %q", got)
	}
	// Ids begin again at 1: the new life's 1 and 2 come after the notice,
	// and 2 is not the page's own message of the old life.
	post(t, s2.URL(), "lobby", "after+the+restart")
	post(t, s2.URL(), "lobby", "another+after+the+restart")
	p.Until("new messages", messages+`.join() === "before the restart,mine before the restart,after the restart,another after the restart"`)
	if got := Eval[string](p, `[...document.querySelectorAll("#messages li")].map(e => e.classList.contains("restarted") ? "|" : e.dataset.id).join(" ")`); got != "1 2 | 1 2" {
		t.Errorf("list order (ids, | the notice): %s", got)
	}
	if got := Eval[[]string](p, mine); !slices.Equal(got, []string{"mine before the restart"}) {
		t.Errorf("shown as mine: %q", got)
	}
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
		// No comments yet: it says so.
		p.Until("the empty thread's invitation", `!`+shadow+`.querySelector(".empty").hidden`)
		if got := Eval[string](p, shadow+`.querySelector(".empty").textContent`); got != "No comments yet. Be the first." {
			t.Errorf("empty thread: %q", got)
		}
		p.Do(chromedp.Evaluate[chromedp.Void](shadow + `.querySelector("textarea").value = "nice post"`))
		p.Do(chromedp.Evaluate[chromedp.Void](shadow + `.querySelector("form").requestSubmit()`))
		p.Until("the post", `!`+shadow+`.querySelector(".error").hidden || `+shadow+`.querySelectorAll(".text").length === 1`)
		if e := Eval[string](p, shadow+`.querySelector(".error").textContent`); e != "" {
			t.Fatalf("post from the embed: %s", e)
		}
		// The room comes from the page's path.
		post(t, s.URL(), "2026-11-my-post", "thanks")
		p.Until("both comments", `[...`+shadow+`.querySelectorAll(".text")].map(e => e.textContent).join() === "nice post,thanks"`)
		if got := Eval[string](p, `[...`+shadow+`.querySelectorAll(".mine .text")].map(e => e.textContent).join()`); got != "nice post" {
			t.Errorf("comments shown as this browser's: %q", got)
		}
		if hidden := Eval[bool](p, shadow+`.querySelector(".empty").hidden`); !hidden {
			t.Error("a thread with comments says it has none")
		}
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
		// The page reaches gochat through a front that counts the API
		// requests it makes.
		target, err := url.Parse(s.URL())
		if err != nil {
			t.Fatal(err)
		}
		tr := &http.Transport{}
		proxy := httputil.NewSingleHostReverseProxy(target)
		proxy.Transport = tr
		var asked atomic.Int64
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				asked.Add(1)
			}
			proxy.ServeHTTP(w, r)
		}))
		t.Cleanup(func() { // after the page closed
			front.CloseClientConnections()
			front.Close()
			tr.CloseIdleConnections()
		})
		p := NewPage(t, b)
		p.Do(chromedp.Navigate(blog.URL + "/post/?chat=" + front.URL + "/"))
		const shadow = `document.getElementById("gochat-comments").shadowRoot`
		p.Until("the refusal", shadow+` && `+shadow+`.querySelector(".status").dataset.state === "refused"`)
		if got := Eval[string](p, shadow+`.querySelector(".status").textContent`); got != "Comments are not enabled for this site: the chat server's operator can enable them with -allow-origin "+blog.URL+"." {
			t.Errorf("status: %q", got)
		}
		if hidden := Eval[bool](p, shadow+`.querySelector("form").hidden`); !hidden {
			t.Error("the comment form is still offered")
		}
		// It stops asking: a minute passes on the page's clock at once
		// (virtual time runs ahead whenever the page is idle and waits for
		// no fetch), and a page that retried would ask again.
		before := asked.Load()
		expired := make(chan struct{}, 1)
		if err := chromedp.Listen(p.Ctx, func(ev any) {
			if _, ok := ev.(*emulation.EventVirtualTimeBudgetExpired); ok {
				select {
				case expired <- struct{}{}:
				default:
				}
			}
		}); err != nil {
			t.Fatal(err)
		}
		minute := float64(time.Minute / time.Millisecond)
		if _, err := chromedp.Call(p.Ctx, emulation.SetVirtualTimePolicy, emulation.SetVirtualTimePolicyParams{
			Policy: emulation.VirtualTimePolicyPauseIfNetworkFetchesPending, Budget: &minute,
		}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-expired:
		case <-time.After(wait):
			t.Fatal("the page's minute did not pass")
		}
		if n := asked.Load(); n != before {
			t.Errorf("the embed asked the server %d more times after it was refused", n-before)
		}
		// A post from the page is refused too, and stores nothing.
		if got := evalAwait[float64](t, p, `fetch("`+front.URL+`/api/rooms/post/messages", {method: "POST", body: new URLSearchParams({text: "spam from elsewhere"})}).then(r => r.status)`); got != 403 {
			t.Errorf("a post from the refused page: %v", got)
		}
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

// TestScreenshots saves the page light and dark, at desktop (1280 px) and
// phone widths (390 and 320 px), under $TMPDIR/gochat-screenshots for
// people to look at; docs/*.png are copied from there. Each is re-encoded
// with the best compression, to keep them small.
func TestScreenshots(t *testing.T) {
	s := MustServer(t, server.Config{})
	for _, m := range [][2]string{
		{"ann", "Has anyone tried the new graph reload?"},
		{"bob", "Yes! SIGHUP and the Filter was live. No dropped polls. Notes: https://example.org/gochat/graph-reloads"},
		{"ann", "Nice. Multi-line works too:\n- edit chat.fbp\n- kill -HUP"},
		{"cleo", "<b>not bold</b> — rendered as text"},
	} {
		postAs(t, s.URL(), "lobby", m[0], m[1])
	}
	dir := filepath.Join(os.TempDir(), "gochat-screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := NewPage(t, MustBrowser(t))
	p.Do(chromedp.Navigate(s.URL() + "#lobby"))
	p.Until("the history", messages+`.length === 4`)
	p.Do(chromedp.SetValue(chromedp.CSS("#name-input"), "dana"))
	p.Send("Reading it on a 320 px phone: long words and links wrap, nothing scrolls sideways.")
	p.Until("dana's message", messages+`.length === 5`)
	for _, shot := range []struct {
		name          string
		width, height int64
		scheme        string
	}{
		{"desktop-light", 1280, 720, "light"},
		{"desktop-dark", 1280, 720, "dark"},
		{"phone-light", 390, 780, "light"},
		{"phone-dark", 390, 780, "dark"},
		{"phone-320-light", 320, 640, "light"},
		{"phone-320-dark", 320, 640, "dark"},
	} {
		if _, err := chromedp.Call(p.Ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: shot.scheme}},
		}); err != nil {
			t.Fatal(err)
		}
		p.Do(chromedp.EmulateViewport(shot.width, shot.height), chromedp.Navigate(fmt.Sprintf("%s?shot=%s#lobby", s.URL(), shot.name)))
		p.Until("the history", messages+`.length === 5 && document.querySelectorAll("#messages .mine").length === 1 && document.getElementById("status").dataset.state === "connected"`)
		p.Do(chromedp.SetValue(chromedp.CSS("#text-input"), "Looks good on my phone"))
		if got := Eval[[]string](p, noSideScroll); len(got) != 0 {
			t.Errorf("%s: wider than the screen: %q", shot.name, got)
		}
		shotPNG, err := chromedp.Run(p.Ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, shot.name+".png")
		if err := os.WriteFile(path, recompress(t, shotPNG), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("saved %s", path)
	}
	p.NoCSPViolations()
}

// recompress encodes a PNG again with the best compression.
func recompress(tb testing.TB, b []byte) []byte {
	tb.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
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

// What is typed while a message is on its way stays in the box: the
// answer clears only the text that was sent.
func TestTypingWhileSending(t *testing.T) {
	s := MustServer(t, server.Config{})
	p := NewPage(t, MustBrowser(t))
	p.Do(chromedp.Navigate(s.URL() + "#typing"))
	p.Until("connected", `document.getElementById("status").dataset.state === "connected"`)
	// Posts wait until the test lets them go.
	p.Do(chromedp.Evaluate[chromedp.Void](`{
		const send = window.fetch;
		window.fetch = (url, opts) => opts && opts.method === "POST"
			? new Promise((done) => { window.releasePost = () => done(send(url, opts)); })
			: send(url, opts);
	}`))
	box := `document.getElementById("text-input")`
	p.Do(chromedp.Evaluate[chromedp.Void](box + `.value = "first"`))
	p.Do(chromedp.Evaluate[chromedp.Void](`document.getElementById("send-form").requestSubmit()`))
	p.Until("the post on its way", `typeof window.releasePost === "function"`)
	p.Do(chromedp.Evaluate[chromedp.Void](box + `.value = "first and more"`))
	p.Do(chromedp.Evaluate[chromedp.Void](`window.releasePost()`))
	p.Until("the message", messages+`.length === 1`)
	// The long-poll may show the message before the post's answer comes
	// back and the box is mended: wait for the box to change.
	p.Until("the sent text gone from the box", box+`.value !== "first and more"`)
	if got := Eval[string](p, box+`.value`); got != "and more" {
		t.Errorf("after the send the box holds %q, want what was typed after it, %q", got, "and more")
	}
}
