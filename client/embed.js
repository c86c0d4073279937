// gochat live comments: add to any page
//
//   <div id="gochat-comments"></div>
//   <script type="module" src="https://chat.example/embed.js"></script>
//
// and the page gets a live comment thread. The room comes from the page's
// path (/2026/11/my-post/ → 2026-11-my-post) unless the div says
// data-room="name". The chat server must list the page's origin in
// -allow-origin. The thread lives in a shadow root: it styles itself lightly
// and inherits the page's fonts and colours.
import {
  ChatRoom, MAX_AUTHOR, MAX_TEXT, MessageList, MyMessages, RESTARTED, cleanRoom, clearSent, limitLength, roomFromPath, sendOnEnter, stateText,
} from "./app.js";

const CSS = `
:host { display: block; font: inherit; color: inherit; }
[hidden] { display: none !important; }
.gc { border: 1px solid color-mix(in srgb, currentColor 18%, transparent); border-radius: 10px; padding: .75rem 1rem; }
.head { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; margin-bottom: .5rem; }
.head h2 { font-size: 1.05em; margin: 0; }
.status { font-size: .8em; opacity: .7; margin: 0; }
ol { list-style: none; margin: 0 0 .75rem; padding: 0; max-height: 24rem; overflow-y: auto; display: flex; flex-direction: column; gap: .5rem; }
.message { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: .1rem .75rem; }
.author { font-weight: 600; font-size: .92em; overflow-wrap: anywhere; }
time { opacity: .65; font-size: .8em; }
.mine .author::after { content: " (you)"; opacity: .65; font-weight: 400; }
.text { grid-column: 1 / -1; margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.text a { color: inherit; }
.restarted, .empty { text-align: center; opacity: .7; font-size: .9em; margin: 0 0 .75rem; }
form { display: grid; grid-template-columns: 9rem 1fr auto; gap: .5rem; align-items: end; }
label { display: flex; flex-direction: column; font-size: .8em; gap: .15rem; }
input, textarea, button { font: inherit; color: inherit; }
input, textarea { border: 1px solid color-mix(in srgb, currentColor 25%, transparent); border-radius: 6px; padding: .35rem .5rem; background: transparent; }
textarea { resize: vertical; min-height: 2.2rem; }
button { border: 1px solid color-mix(in srgb, currentColor 35%, transparent); border-radius: 6px; padding: .4rem .9rem; background: transparent; cursor: pointer; font-weight: 600; }
.error { grid-column: 1 / -1; margin: 0; color: #c92a2a; font-size: .9em; }
@media (max-width: 520px) { form { grid-template-columns: 1fr auto; } label.name { grid-column: 1 / -1; } }
`;

function mount(host) {
  const room = cleanRoom(host.dataset.room ?? "") || roomFromPath(location.pathname);
  const shadow = host.attachShadow({ mode: "open" });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  shadow.adoptedStyleSheets = [sheet];

  // el makes an element: attrs holds properties, and role/aria-* attributes.
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "role" || k.startsWith("aria-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    e.append(...children);
    return e;
  };

  const status = el("p", { className: "status", role: "status", textContent: "Connecting…" });
  const list = el("ol", { role: "log", "aria-live": "polite", "aria-label": "Comments" });
  const empty = el("p", { className: "empty", hidden: true, textContent: "No comments yet. Be the first." });
  const name = el("input", { name: "author", placeholder: "anonymous" });
  const text = el("textarea", { name: "text", rows: 1, required: true, placeholder: "Add a comment" });
  const error = el("p", { className: "error", role: "alert", hidden: true });
  const form = el("form", {},
    el("label", { className: "name" }, "Name", name),
    el("label", {}, "Comment", text),
    el("button", { type: "submit", textContent: "Post" }),
    error);
  shadow.append(el("section", { className: "gc" },
    el("div", { className: "head" }, el("h2", { textContent: "Comments" }), status),
    empty, list, form));

  name.value = localStorage.getItem("gochat.name") ?? "";
  const my = new MyMessages(room);
  const messages = new MessageList(list, { mine: (m) => my.has(m.id), empty });
  const chat = new ChatRoom({
    api: new URL("api/", import.meta.url),
    room,
    onMessages: (ms) => messages.add(ms),
    onReset: () => messages.restarted(RESTARTED),
    onAnswer: (page) => { my.seen(page.epoch); messages.roomAnswered(); },
    onState: (state, why) => {
      status.dataset.state = state;
      if (state === "refused") { // this site is not in the server's -allow-origin: say so, and stop
        status.textContent = "Comments are not enabled for this site: the chat server's operator can enable them with "
          + `-allow-origin ${location.origin}.`;
        form.hidden = true;
        return;
      }
      status.textContent = state === "reconnecting"
        ? "Cannot reach the comments server; retrying…"
        : stateText(state, why);
    },
  });
  sendOnEnter(text, form);
  limitLength(text, MAX_TEXT);
  limitLength(name, MAX_AUTHOR);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const sent = text.value;
    if (!sent.trim()) return;
    try {
      const m = await chat.send(name.value.trim(), sent);
      my.add(m.id, chat.epoch);
      localStorage.setItem("gochat.name", name.value.trim());
      clearSent(text, sent);
      error.hidden = true;
      messages.add([m]);
      messages.scrollToEnd();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  });
  chat.start();
  // Leaving the page ends the poll at once (see app.js); coming back resumes it.
  window.addEventListener("pagehide", () => chat.stop());
  window.addEventListener("pageshow", (e) => { if (e.persisted) chat.start(); });
}

const host = document.getElementById("gochat-comments");
if (host && !host.shadowRoot) mount(host);
