package debugui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"gochat/graph"
	"gochat/internal/browsertest"
	"gochat/internal/history"
	"gochat/internal/testutil"
	"gochat/server"
)

// These tests drive the live graph page in headless Chromium (Debian's
// chromium package; ./test installs it) against a real gochat.

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type Page = browsertest.Page

func Eval[T any](p *Page, expr string) T { return browsertest.Eval[T](p, expr) }

// open starts gochat with -debug on a free loopback port, and a page of
// the live graph in a large window (the whole default graph in view).
func open(t *testing.T, cfg server.Config) (*server.Server, *Page) {
	t.Helper()
	browser := browsertest.MustBrowser(t)
	cfg.Addr, cfg.Debug = "127.0.0.1:0", true
	s, err := server.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	p := browsertest.NewPage(t, browser)
	p.Do(chromedp.EmulateViewport(1600, 1100), chromedp.Navigate(s.URL()+"debug/"))
	p.Until("the graph drawn", `document.querySelectorAll("#graph g.process").length > 0 && document.querySelectorAll("#graph text.count").length > 0`)
	p.Until("live counts", `document.getElementById("status").textContent === "Live"`)
	return s, p
}

// api does one request to the server and returns its status and body.
func api(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// count returns the packet count the page shows on the edge src -> tgt.
func count(p *Page, src, tgt string) string {
	return Eval[string](p, fmt.Sprintf(`document.querySelector('#graph g.edge[data-src="%s"][data-tgt="%s"] text.count')?.textContent ?? ""`, src, tgt))
}

// TestLiveGraphDraws: the page draws the default graph, naming every
// process with its component, every connection, the initial packets on
// their ports, with only the crossing its ports make unavoidable; the
// counts rise as messages are posted, with no reload. Clicking a process
// shows its component, ports and configuration. A broken edit shows its
// problem on the picture and changes nothing; removing the process at
// fault makes it sound again.
func TestLiveGraphDraws(t *testing.T) {
	s, p := open(t, server.Config{})
	g := graph.Default()
	names := Eval[[]string](p, `[...document.querySelectorAll("#graph g.process")].map(e => e.dataset.name + "(" + e.querySelector(".component").textContent + ")")`)
	var want []string
	for _, proc := range g.Processes {
		want = append(want, proc.Name+"("+proc.Component+")")
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("processes drawn %v, want %v", names, want)
	}
	if n := Eval[int](p, `document.querySelectorAll("#graph g.edge").length`); n != len(g.Connections) {
		t.Errorf("%d edges drawn, want %d", n, len(g.Connections))
	}
	// One crossing cannot be avoided with the ports in their order:
	// controller.ERR leaves below controller.OUT and above everything
	// from limit (router's READ is above its WRITE), but controller.OUT
	// and sender.OUT both end at storage, so controller.ERR must cross
	// one of them on its way to responder.
	if x := Eval[string](p, `document.body.dataset.crossings`); x != "1" {
		t.Errorf("the default graph's layout has %s crossings, want the one that cannot be avoided", x)
	}
	iips := Eval[[]string](p, `[...document.querySelectorAll("#graph g.iip")].map(e => e.dataset.tgt + "=" + e.querySelector("text").textContent)`)
	for _, w := range []string{"storage.CAPACITY='10000'", "limit.RATE='5'"} {
		if !slices.Contains(iips, w) {
			t.Errorf("initial packet %s not drawn: %v", w, iips)
		}
	}
	if c := count(p, "sender.OUT", "storage.WRITE"); c != "0" {
		t.Errorf("count before any post: %q", c)
	}
	p.Do(chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	for i := range 3 {
		if st, body := api(t, "POST", s.URL()+"api/rooms/live/messages", fmt.Sprintf(`{"text":"hello %d"}`, i)); st != 201 {
			t.Fatalf("post: %d %s", st, body)
		}
	}
	p.Until("the count of sender -> storage at 3", `document.querySelector('#graph g.edge[data-src="sender.OUT"][data-tgt="storage.WRITE"] text.count').textContent === "3"`)
	if !Eval[bool](p, `window.notReloaded === true`) {
		t.Error("the page reloaded")
	}

	// Details of a process.
	p.Do(chromedp.Click(chromedp.CSS(`#graph g.process[data-name="storage"] .title`)))
	p.Until("storage's details", `document.getElementById("details-title")?.textContent === "storage (Storage)"`)
	details := Eval[string](p, `document.getElementById("details").textContent`)
	for _, w := range []string{"PERCLIENT", "CAPACITY", "int", "default 100", "current 10000"} {
		if !strings.Contains(details, w) {
			t.Errorf("storage's details lack %q: %s", w, details)
		}
	}
	if v := Eval[string](p, `document.getElementById("config-capacity").value`); v != "10000" {
		t.Errorf("CAPACITY's field: %q", v)
	}

	// A broken edit: a Filter connected to nothing.
	p.Do(chromedp.Click(chromedp.CSS("#edit-button")))
	p.Do(chromedp.SetValue(chromedp.CSS("#add-component"), "Filter"),
		chromedp.SetValue(chromedp.CSS("#add-name"), "stray"),
		chromedp.Click(chromedp.CSS(`#add-form button[type="submit"]`)))
	p.Until("the new process drawn", `document.querySelector('#graph g.process[data-name="stray"]') !== null`)
	p.Do(chromedp.Click(chromedp.CSS("#apply-button")))
	p.Until("the problems shown", `!document.getElementById("problems-box").hidden`)
	p.Until("the problem drawn on the process", `document.querySelector('#graph g.process.problem[data-name="stray"]') !== null`)
	if msg := Eval[string](p, `document.getElementById("problems").textContent`); !strings.Contains(msg, "stray") {
		t.Errorf("problems: %s", msg)
	}
	if _, body := api(t, "GET", s.URL()+"debug/graph", ""); strings.Contains(body, "stray") {
		t.Error("a broken edit changed the running graph")
	}
	if st, _ := api(t, "POST", s.URL()+"api/rooms/live/messages", `{"text":"still here"}`); st != 201 {
		t.Errorf("post after a broken edit: %d", st)
	}
	// Removing the stray process makes the graph sound again.
	p.Do(chromedp.Click(chromedp.CSS(`#graph g.process[data-name="stray"] .title`)))
	p.Until("stray's details", `document.getElementById("remove-button") !== null`)
	p.Do(chromedp.Click(chromedp.CSS("#remove-button")))
	p.Until("stray removed", `document.querySelector('#graph g.process[data-name="stray"]') === null`)
	p.Do(chromedp.Click(chromedp.CSS("#apply-button")))
	p.Until("applied", `document.body.dataset.applied === "1" && document.getElementById("problems-box").hidden`)
	p.Until("the graph drawn again", fmt.Sprintf(`document.querySelectorAll("#graph g.process").length === %d`, len(g.Processes)))
	p.NoCSPViolations()
}

// center scrolls the element sel into view and returns its centre in the
// window.
func center(t *testing.T, p *Page, sel string) (float64, float64) {
	t.Helper()
	xy := Eval[[]float64](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return []; const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`, sel))
	if len(xy) != 2 {
		t.Fatalf("no %s on the page", sel)
	}
	return xy[0], xy[1]
}

// drag presses the mouse on from, moves it to to in steps and releases
// it there, as a hand does.
func drag(t *testing.T, p *Page, from, to string) {
	t.Helper()
	x0, y0 := center(t, p, from)
	x1, y1 := center(t, p, to)
	pressed := func(ev *input.DispatchMouseEventParams) {
		ev.Button, ev.Buttons, ev.ClickCount = input.MouseButtonLeft, 1, 1
	}
	actions := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MousePressed, x0, y0, pressed)}
	for i := 1; i <= 5; i++ {
		f := float64(i) / 5
		actions = append(actions, chromedp.MouseEvent(chromedp.MouseMoved, x0+(x1-x0)*f, y0+(y1-y0)*f, pressed))
	}
	actions = append(actions, chromedp.MouseEvent(chromedp.MouseReleased, x1, y1, pressed))
	p.Do(actions...)
}

// follow long-polls r's room as a client does, recording every answer in
// r's history, until it saw n messages; seen tells the test how many it
// saw so far (r itself is the goroutine's own).
func follow(t *testing.T, base string, r *history.Reader, n int, seen *atomic.Int64) {
	for r.Seen() < n {
		since, epoch := r.Next()
		res, err := http.Get(fmt.Sprintf("%sapi/rooms/%s/messages?since=%d&wait=20&epoch=%s", base, r.Room(), since, epoch))
		if err != nil {
			t.Errorf("follow: %v", err)
			return
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		a, err := history.ParseRead(body)
		if res.StatusCode != 200 || err != nil {
			t.Errorf("follow: %d %s %v", res.StatusCode, body, err)
			return
		}
		r.Saw(since, epoch, a)
		seen.Store(int64(r.Seen()))
	}
}

// TestLiveGraphEdit: an edit made with the mouse inserts a Filter between
// the SendController and Storage; Apply makes it live while readers are
// parked, who still get every message; a spam post then gets 422. Save
// writes a file graph check accepts, with the positions dragged, and
// keeps the old file as FILE.bak.
func TestLiveGraphEdit(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "chat.fbp")
	if err := os.WriteFile(file, graph.DefaultSource(), 0o644); err != nil {
		t.Fatal(err)
	}
	s, p := open(t, server.Config{GraphFile: file})
	base := s.URL()

	const room, readers = "edit", 4
	h := history.New(100)
	post := func(text string) {
		t.Helper()
		st, body := api(t, "POST", base+"api/rooms/"+room+"/messages", `{"author":"t","text":"`+text+`"}`)
		if st != 201 {
			t.Fatalf("post %s: %d %s", text, st, body)
		}
		m, err := history.ParseMessage([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		h.Acked(room, m)
	}
	var wg sync.WaitGroup
	var seen [readers]atomic.Int64
	for i := range readers {
		r := h.Reader(room)
		wg.Add(1)
		go func() {
			defer wg.Done()
			follow(t, base, r, 2, &seen[i])
		}()
	}
	parked := func() bool { return s.Stats().Parked.Load() == readers }
	testutil.WaitFor(t, "the readers parked", parked)
	post("before the edit")
	testutil.WaitFor(t, "the readers parked again", func() bool {
		for i := range seen {
			if seen[i].Load() < 1 {
				return false
			}
		}
		return parked()
	})

	// The edit, with the mouse.
	p.Do(chromedp.Click(chromedp.CSS("#edit-button")))
	p.Do(chromedp.SetValue(chromedp.CSS("#add-component"), "Filter"),
		chromedp.SetValue(chromedp.CSS("#add-name"), "filter"),
		chromedp.Click(chromedp.CSS(`#add-form button[type="submit"]`)))
	p.Until("the Filter drawn", `document.querySelector('#graph g.process[data-name="filter"]') !== null`)
	p.Do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#graph g.edge[data-src="sender.OUT"][data-tgt="storage.WRITE"] path.hit').dispatchEvent(new MouseEvent("click", {bubbles: true}))`))
	p.Do(chromedp.Click(chromedp.CSS("#disconnect-button")))
	p.Until("sender -> storage gone", `document.querySelector('#graph g.edge[data-src="sender.OUT"][data-tgt="storage.WRITE"]') === null`)
	port := func(name string) string { return fmt.Sprintf(`#graph g.port[data-port="%s"] circle`, name) }
	drag(t, p, port("sender.OUT"), port("filter.IN"))
	drag(t, p, port("filter.OUT"), port("storage.WRITE"))
	drag(t, p, port("responder.IN"), port("filter.ERR")) // from an inport works too
	for _, e := range [][2]string{{"sender.OUT", "filter.IN"}, {"filter.OUT", "storage.WRITE"}, {"filter.ERR", "responder.IN"}} {
		p.Until(e[0]+" -> "+e[1]+" drawn", fmt.Sprintf(`document.querySelector('#graph g.edge[data-src="%s"][data-tgt="%s"]') !== null`, e[0], e[1]))
	}
	// Move the Filter: its place is kept when saved.
	drag(t, p, `#graph g.process[data-name="filter"] .title`, `#graph g.process[data-name="storage"] .component`)
	// Its word list.
	p.Do(chromedp.Click(chromedp.CSS(`#graph g.process[data-name="filter"] .title`)))
	p.Until("the Filter's details", `document.getElementById("config-words") !== null`)
	p.Do(chromedp.SendKeys(chromedp.CSS("#config-words"), `["spam"]`+"\t"))
	p.Until("the word list set", `document.querySelector('#graph g.iip[data-tgt="filter.WORDS"]') !== null`)

	testutil.WaitFor(t, "the readers parked before Apply", parked)
	p.Do(chromedp.Click(chromedp.CSS("#apply-button")))
	p.Until("applied", `document.body.dataset.applied === "1"`)
	if msg := Eval[string](p, `document.getElementById("message").textContent`); !strings.Contains(msg, "Applied") {
		t.Errorf("message after Apply: %s", msg)
	}
	if st, body := api(t, "POST", base+"api/rooms/"+room+"/messages", `{"text":"buy spam now"}`); st != 422 {
		t.Errorf("spam after the edit: %d %s", st, body)
	}
	post("after the edit")
	testutil.Within(t, "the readers' last message", wg.Wait)
	h.CheckComplete(t)
	p.Until("the new edge's count", `document.querySelector('#graph g.edge[data-src="filter.OUT"][data-tgt="storage.WRITE"] text.count').textContent === "1"`)

	// Download .fbp: a DSL file graph check accepts, with the Filter and
	// the positions.
	p.Do(chromedp.Click(chromedp.CSS("#download-button")))
	p.Until("the download", `document.getElementById("download-link").href.startsWith("data:")`)
	href := Eval[string](p, `document.getElementById("download-link").href`)
	dsl, err := url.PathUnescape(strings.TrimPrefix(href, "data:text/plain;charset=utf-8,"))
	if err != nil {
		t.Fatal(err)
	}
	fbp := filepath.Join(t.TempDir(), "download.fbp")
	if err := os.WriteFile(fbp, []byte(dsl), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	if code := graph.Command([]string{"check", fbp}, io.Discard, &stderr); code != 0 || !strings.Contains(dsl, "filter OUT -> WRITE storage") || !regexp.MustCompile(`filter\(Filter:x=\d+,y=\d+\)`).MatchString(dsl) {
		t.Errorf("the downloaded graph: %s\n%s", stderr.String(), dsl)
	}

	// Save, with the Filter where it was dragged.
	transform := Eval[string](p, `document.querySelector('#graph g.process[data-name="filter"]').getAttribute("transform")`)
	p.Do(chromedp.Click(chromedp.CSS("#save-button")))
	p.Until("saved", `document.getElementById("message").textContent.startsWith("Saved to")`)
	stderr.Reset()
	if code := graph.Command([]string{"check", file}, io.Discard, &stderr); code != 0 {
		t.Errorf("graph check of the saved file: %s", stderr.String())
	}
	saved, _ := os.ReadFile(file)
	var g struct {
		Processes map[string]struct{ Metadata map[string]float64 }
	}
	if err := json.Unmarshal(saved, &g); err != nil {
		t.Fatalf("saved file: %v\n%s", err, saved)
	}
	m := regexp.MustCompile(`translate\(([\d.]+),([\d.]+)\)`).FindStringSubmatch(transform)
	x, _ := strconv.ParseFloat(m[1], 64)
	y, _ := strconv.ParseFloat(m[2], 64)
	if meta := g.Processes["filter"].Metadata; meta["x"] != math.Round(x) || meta["y"] != math.Round(y) || x < 100 {
		t.Errorf("the Filter's position: saved %v, drawn at %s", meta, transform)
	}
	for name, proc := range g.Processes {
		if _, ok := proc.Metadata["x"]; !ok {
			t.Errorf("process %s saved without a position", name)
		}
	}
	if bak, _ := os.ReadFile(file + ".bak"); string(bak) != string(graph.DefaultSource()) {
		t.Error("the old file was not kept as FILE.bak")
	}
	// A page opened afresh draws the Filter where it was saved.
	p.Do(chromedp.Reload())
	p.Until("the graph drawn again", `document.querySelector('#graph g.process[data-name="filter"]') !== null`)
	if got := Eval[string](p, `document.querySelector('#graph g.process[data-name="filter"]').getAttribute("transform")`); got != fmt.Sprintf("translate(%v,%v)", math.Round(x), math.Round(y)) {
		t.Errorf("after a reload the Filter is drawn at %s, saved at %v,%v", got, math.Round(x), math.Round(y))
	}
	p.NoCSPViolations()
}

// TestScreenshots saves the page light and dark at 1280 px, with storage
// selected and a few messages counted, under $TMPDIR/gochat-screenshots
// for people to look at; docs/debug-*.png are copied from there. The
// drawing fits the canvas: nothing scrolls sideways.
func TestScreenshots(t *testing.T) {
	s, p := open(t, server.Config{})
	for i := range 3 {
		if st, body := api(t, "POST", s.URL()+"api/rooms/lobby/messages", fmt.Sprintf(`{"text":"hello %d"}`, i)); st != 201 {
			t.Fatalf("post: %d %s", st, body)
		}
	}
	dir := filepath.Join(os.TempDir(), "gochat-screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, scheme := range []string{"light", "dark"} {
		if _, err := chromedp.Call(p.Ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		}); err != nil {
			t.Fatal(err)
		}
		p.Do(chromedp.EmulateViewport(1280, 720))
		p.Do(chromedp.Click(chromedp.CSS(`#graph g.process[data-name="storage"] .title`)))
		p.Until("the counts", `document.querySelector('#graph g.edge[data-src="storage.OUT"] text.count').textContent === "3"`)
		if Eval[bool](p, `(c => c.scrollWidth > c.clientWidth)(document.getElementById("canvas"))`) {
			t.Errorf("%s: the drawing is wider than the canvas", scheme)
		}
		shot, err := chromedp.Run(p.Ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "debug-"+scheme+".png"), out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
