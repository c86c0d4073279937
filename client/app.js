// gochat's client: a long-polling chat room, the chat page, and the parts
// embed.js reuses. No framework, no build step. Every URL is relative to
// this module, so the page works at / and under any prefix (/gochat/).

const WAIT_SECONDS = 25; // how long one poll may be held by the server
const RETRY_MIN_MS = 1000; // first retry after a failure…
const RETRY_MAX_MS = 15000; // …doubling up to this, each with jitter
// The server's limits, in Unicode code points (an emoji counts 1, not the
// 2 UTF-16 units that an HTML maxlength would count).
export const MAX_TEXT = 2000;
export const MAX_AUTHOR = 64;

/** cleanRoom turns any text into a valid room name ("" if nothing is left). */
export function cleanRoom(s) {
  return String(s).replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
}

/** roomFromPath derives a room from a page path: /2026/11/my-post/ → 2026-11-my-post. */
export function roomFromPath(path) {
  return cleanRoom(decodePath(path).replace(/\.html?$/, "")) || "home";
}

/** decodePath decodes a path's %XX escapes, leaving a stray % (/sale-100%-off) as it is. */
function decodePath(path) {
  return path.replace(/(%[0-9A-Fa-f]{2})+/g, (s) => {
    try { return decodeURIComponent(s); } catch { return s; } // not UTF-8
  });
}

/** newKey returns a random Idempotency-Key: 22 characters of [A-Za-z0-9_-] (128 bits). */
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16)); // unlike randomUUID, also on plain http
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * limitLength keeps what field holds to max code points, as the server
 * counts. Past it, what was just typed or pasted is cut at the caret and
 * the rest of the text kept. It waits for an input method to finish.
 */
export function limitLength(field, max) {
  const limit = () => {
    const chars = [...field.value];
    const excess = chars.length - max;
    if (excess <= 0) return;
    const caret = [...field.value.slice(0, field.selectionEnd)].length;
    const before = chars.slice(0, Math.max(0, caret - excess)).join("");
    field.value = [...before, ...chars.slice(caret)].slice(0, max).join("");
    field.setSelectionRange(before.length, before.length);
  };
  field.addEventListener("input", (e) => { if (!e.isComposing) limit(); });
  field.addEventListener("compositionend", limit);
}

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => { clearTimeout(t); resolve(); }, { once: true });
  });

/** errorText returns what went wrong, in words, from a failed API answer. */
async function errorText(res) {
  try {
    const body = await res.json();
    if (body?.error?.message) return body.error.message;
  } catch { /* not JSON */ }
  return `the server answered ${res.status} ${res.statusText}`.trim();
}

/**
 * ChatRoom long-polls one room and posts to it. It runs at most one poll at
 * a time; stop() ends it at once. Callbacks:
 *   onMessages(messages) new messages, oldest first (never one twice)
 *   onReset()           the room's history was replaced: forget what you show
 *   onGap()             earlier messages are no longer available
 *   onState(state, why) "connecting" | "connected" | "reconnecting" | "error"
 */
export class ChatRoom {
  constructor({ api, room, onMessages, onReset = () => {}, onGap = () => {}, onState = () => {} }) {
    this.api = api; // URL of the API root, e.g. new URL("api/", import.meta.url)
    this.room = room;
    this.on = { onMessages, onReset, onGap, onState };
    this.since = 0;
    this.epoch = "";
    this.abort = null;
    this.unsent = null; // { author, text, key } of the last send that failed
  }

  url(query) {
    const u = new URL(`rooms/${encodeURIComponent(this.room)}/messages`, this.api);
    if (query) u.search = new URLSearchParams(query).toString();
    return u;
  }

  start() {
    if (this.abort) return;
    this.abort = new AbortController();
    this.loop(this.abort.signal);
  }

  stop() {
    this.abort?.abort();
    this.abort = null;
  }

  async loop(signal) {
    let failures = 0;
    let first = true;
    this.on.onState("connecting");
    while (!signal.aborted) {
      try {
        const query = { since: this.since, wait: first ? 0 : WAIT_SECONDS };
        if (this.epoch) query.epoch = this.epoch;
        const res = await fetch(this.url(query), { signal, cache: "no-store", headers: { Accept: "application/json" } });
        if (!res.ok) {
          const why = await errorText(res);
          if (res.status >= 500 || res.status === 429) throw new Error(why);
          // 4xx: our request is wrong and will stay wrong; say so, retry slowly.
          this.on.onState("error", why);
          failures = Math.max(failures, 3);
          await sleep(RETRY_MAX_MS, signal);
          continue;
        }
        const page = await res.json();
        if (signal.aborted) return;
        failures = 0;
        first = false;
        this.on.onState("connected");
        if (page.reset) this.on.onReset();
        if (page.gap) this.on.onGap();
        const fresh = page.reset ? page.messages : page.messages.filter((m) => m.id > this.since);
        this.since = page.last;
        this.epoch = page.epoch;
        if (fresh.length) this.on.onMessages(fresh);
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (failures - 1));
        this.on.onState("reconnecting", err.message);
        await sleep(delay / 2 + Math.random() * delay / 2, signal); // jitter: 50–100 %
      }
    }
  }

  /**
   * send posts a message and returns it as stored; it throws an Error saying
   * why not. Each message goes with an Idempotency-Key: a new one for a new
   * message, the same one when the same author and text are sent again after
   * a failure, so a retry of a post that did reach the server is stored once.
   */
  async send(author, text) {
    if (this.unsent?.author !== author || this.unsent?.text !== text) this.unsent = { author, text, key: newKey() };
    const { key } = this.unsent;
    let res;
    try {
      res = await fetch(this.url(), {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "Idempotency-Key": key },
        body: JSON.stringify({ author, text }),
      });
    } catch {
      throw new Error("Could not reach the server. Your message was not sent.");
    }
    if (!res.ok) throw new Error(`Not sent: ${await errorText(res)}.`);
    if (this.unsent?.key === key) this.unsent = null;
    return res.json();
  }
}

/**
 * MessageList shows messages in id order, each once, as text only. It keeps
 * the view at the newest message unless the reader scrolled up, and then
 * calls onUnseen(true) so a "new messages" marker can show.
 */
export class MessageList {
  constructor(list, { mine = () => false, onUnseen = () => {} } = {}) {
    this.list = list;
    this.mine = mine;
    this.onUnseen = onUnseen;
    this.ids = new Set();
    list.addEventListener("scroll", () => { if (this.atBottom()) this.onUnseen(false); });
  }

  atBottom() {
    const l = this.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 48;
  }

  clear() {
    this.ids.clear();
    this.list.replaceChildren();
    this.onUnseen(false);
  }

  add(messages) {
    const stick = this.atBottom();
    let added = false;
    for (const m of messages) {
      if (this.ids.has(m.id)) continue;
      this.ids.add(m.id);
      added = true;
      const item = renderMessage(m, this.mine(m));
      // Keep id order even when a sent message arrives before older ones.
      let after = this.list.lastElementChild;
      while (after && Number(after.dataset.id) > m.id) after = after.previousElementSibling;
      if (after) after.after(item); else this.list.prepend(item);
    }
    if (!added) return;
    if (stick) this.list.scrollTop = this.list.scrollHeight;
    else this.onUnseen(true);
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
    this.onUnseen(false);
  }
}

/** renderMessage builds a message's list item; names and text go in as text, never HTML. */
export function renderMessage(m, mine) {
  const li = document.createElement("li");
  li.className = mine ? "message mine" : "message";
  li.dataset.id = m.id;
  const author = document.createElement("span");
  author.className = "author";
  author.textContent = m.author;
  const time = document.createElement("time");
  const when = new Date(m.time);
  time.dateTime = m.time;
  time.title = when.toLocaleString();
  time.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const text = document.createElement("p");
  text.className = "text";
  appendLinked(text, m.text);
  li.append(author, time, text);
  return li;
}

// A URL in a message: http:// or https:// and what follows up to a space, a
// quote or an angle bracket (none of which a URL holds unescaped).
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;

// What a link is to its page: no access to the chat (noopener), no
// Referer naming the room (noreferrer), no endorsement by the chat
// (nofollow, ugc: user-generated content).
const LINK_REL = "noopener noreferrer nofollow ugc";

/**
 * appendLinked appends text to parent as text nodes, with each http: or
 * https: URL in it as a link: an <a> built as a DOM node, its text the URL
 * as written, its href set only once the URL parser says the protocol is
 * http: or https:. Nothing is ever parsed as HTML. Links open in a new
 * tab, so following one leaves the chat (its poll, scroll and draft) as
 * it was.
 */
export function appendLinked(parent, text) {
  let at = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const written = trimURL(match[0]);
    const href = webHref(written);
    if (!href) continue;
    if (match.index > at) parent.append(text.slice(at, match.index));
    const a = document.createElement("a");
    a.textContent = written;
    a.href = href;
    a.rel = LINK_REL;
    a.target = "_blank";
    parent.append(a);
    at = match.index + written.length;
  }
  if (at < text.length) parent.append(text.slice(at));
}

/** webHref returns s as a URL if it parses with the protocol http: or https:, else "". */
function webHref(s) {
  let u;
  try { u = new URL(s); } catch { return ""; }
  return u.protocol === "http:" || u.protocol === "https:" ? u.href : "";
}

/**
 * trimURL drops what ends the sentence rather than the URL: trailing
 * punctuation, and a closing bracket the URL did not open
 * ("(see http://a.b/x)" links http://a.b/x; "http://a.b/f_(x)" keeps its ")").
 */
function trimURL(s) {
  const pairs = { ")": "(", "]": "[", "}": "{" };
  for (;;) {
    const last = s.at(-1);
    const open = pairs[last];
    if (".,;:!?".includes(last) || (open && s.split(open).length < s.split(last).length)) s = s.slice(0, -1);
    else return s;
  }
}

/** stateText says a connection state in words. */
export function stateText(state, why) {
  switch (state) {
    case "connected": return "Connected";
    case "connecting": return "Connecting…";
    case "reconnecting": return "Reconnecting…";
    default: return why ? `Problem: ${why}` : "Problem";
  }
}

/** sendOnEnter makes Enter submit form from textarea, and Shift+Enter add a line. */
export function sendOnEnter(textarea, form) {
  textarea.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
}

// The chat page.
function startPage(root) {
  const $ = (id) => root.querySelector(`#${id}`);
  const api = new URL("api/", import.meta.url);
  const nameInput = $("name-input");
  const textInput = $("text-input");
  const sendForm = $("send-form");
  const sendError = $("send-error");
  const status = $("status");
  const notice = $("notice");
  const marker = $("new-marker");
  const roomInput = $("room-input");

  nameInput.value = localStorage.getItem("gochat.name") ?? "";
  nameInput.addEventListener("change", () => localStorage.setItem("gochat.name", nameInput.value.trim()));

  const list = new MessageList($("messages"), {
    mine: (m) => m.author === (nameInput.value.trim() || "anonymous"),
    onUnseen: (unseen) => { marker.hidden = !unseen; },
  });
  marker.addEventListener("click", () => list.scrollToEnd());

  let chat = null;
  function join() {
    const room = cleanRoom(location.hash.slice(1)) || "lobby";
    if (chat?.room === room) return;
    chat?.stop();
    list.clear();
    notice.hidden = true;
    roomInput.value = room;
    document.title = `#${room} · gochat`;
    chat = new ChatRoom({
      api,
      room,
      onMessages: (ms) => list.add(ms),
      onReset: () => list.clear(),
      onGap: () => { notice.textContent = "Earlier messages in this room are no longer available."; notice.hidden = false; },
      onState: (state, why) => { status.dataset.state = state; status.textContent = stateText(state, why); },
    });
    chat.start();
  }

  $("room-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const room = cleanRoom(roomInput.value);
    if (room) location.hash = room;
  });
  window.addEventListener("hashchange", join);

  sendOnEnter(textInput, sendForm);
  limitLength(textInput, MAX_TEXT);
  limitLength(nameInput, MAX_AUTHOR);
  sendForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = textInput.value;
    if (!text.trim()) return;
    const button = $("send-button");
    button.disabled = true;
    try {
      const m = await chat.send(nameInput.value.trim(), text);
      localStorage.setItem("gochat.name", nameInput.value.trim());
      textInput.value = "";
      sendError.hidden = true;
      list.add([m]);
      list.scrollToEnd();
    } catch (err) {
      sendError.textContent = err.message; // the input keeps what was typed
      sendError.hidden = false;
    } finally {
      button.disabled = false;
      textInput.focus();
    }
  });

  join();
}

const root = document.getElementById("gochat-app");
if (root) startPage(root);
