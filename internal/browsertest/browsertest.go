// Package browsertest drives gochat's client in a real headless Chromium
// (Debian's chromium package) for tests, through chromedp.
package browsertest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"gochat/internal/testutil"
)

// Wait bounds every wait on the page; it only runs out when something is
// broken.
const Wait = 30 * time.Second

// MustBrowser starts a headless Chromium for the test. A missing browser
// fails the test; under -short the test is skipped (see testutil.Tool).
func MustBrowser(tb testing.TB) context.Context {
	tb.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(testutil.Tool(tb, "chromium", "chromium", "chromium-browser", "google-chrome")),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-sync", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	tb.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	if err := chromedp.Do(bctx); err != nil {
		tb.Fatalf("start chromium: %v", err)
	}
	return bctx
}

// Page is one browser tab with its console.
type Page struct {
	tb  testing.TB
	Ctx context.Context // the tab's chromedp context

	mu      sync.Mutex
	console []string
}

// NewPage opens a tab in browser and collects what the page logs.
func NewPage(tb testing.TB, browser context.Context) *Page {
	tb.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	p := &Page{tb: tb, Ctx: ctx}
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m.String())
			p.mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		cancel()
		<-done
	})
	return p
}

// Do runs actions on the page or fails the test.
func (p *Page) Do(actions ...chromedp.Action[chromedp.Void]) {
	p.tb.Helper()
	if err := chromedp.Do(p.Ctx, actions...); err != nil {
		p.tb.Fatalf("%v\nconsole:\n%s", err, p.Console())
	}
}

// Eval evaluates a JavaScript expression on the page.
func Eval[T any](p *Page, expr string) T {
	p.tb.Helper()
	v, err := chromedp.Run(p.Ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.tb.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// Until waits until a JavaScript expression is true on the page.
func (p *Page) Until(what, expr string) {
	p.tb.Helper()
	if _, err := chromedp.Run(p.Ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(Wait), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		p.tb.Fatalf("waiting for %s (%s): %v\nconsole:\n%s", what, expr, err, p.Console())
	}
}

// Console returns what the page logged so far.
func (p *Page) Console() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.console, "\n")
}

// NoCSPViolations fails the test if the page broke its Content-Security-Policy.
func (p *Page) NoCSPViolations() {
	p.tb.Helper()
	if c := p.Console(); strings.Contains(c, "Content Security Policy") {
		p.tb.Errorf("the page violates its Content-Security-Policy:\n%s", c)
	}
}

// Send types text into the message box, a new line with Shift+Enter, and
// presses Enter.
func (p *Page) Send(text string) {
	p.tb.Helper()
	p.Do(chromedp.Focus(chromedp.CSS("#text-input")))
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			p.Enter(true)
		}
		p.Do(chromedp.SendKeys(chromedp.CSS("#text-input"), line))
	}
	p.Enter(false)
}

// Enter presses Enter, or Shift+Enter, as a keyboard does: one keyDown
// that carries the text, so a page that prevents the keydown gets no
// new line.
func (p *Page) Enter(shift bool) {
	p.tb.Helper()
	ev := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: "Enter", Code: "Enter",
		Text: "\r", UnmodifiedText: "\r", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
	if shift {
		ev.Modifiers = int64(chromedp.ModifierShift)
	}
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
		ev.Type = typ
		if _, err := chromedp.Call(p.Ctx, input.DispatchKeyEvent, ev); err != nil {
			p.tb.Fatal(err)
		}
	}
}

// Messages is a JavaScript expression for the texts the chat page shows.
const Messages = `[...document.querySelectorAll("#messages .message .text")].map(e => e.textContent)`
