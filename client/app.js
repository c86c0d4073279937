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
 *   onReset()           the room began a new life (the server restarted):
 *                       its ids begin again, the messages shown are gone
 *   onGap()             earlier messages are no longer available
 *   onAnswer(page)      every answer, before its messages: its epoch, last…
 *   onState(state, why) "connecting" | "connected" | "reconnecting" | "error"
 *                       | "refused" (403: this page's origin may not use the
 *                       server; the room stops asking, as asking again
 *                       changes nothing until its operator allows the origin)
 */
export class ChatRoom {
  constructor({ api, room, onMessages, onReset = () => {}, onGap = () => {}, onAnswer = () => {}, onState = () => {} }) {
    this.api = api; // URL of the API root, e.g. new URL("api/", import.meta.url)
    this.room = room;
    this.on = { onMessages, onReset, onGap, onAnswer, onState };
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
          if (res.status === 403) {
            this.on.onState("refused", why);
            if (this.abort?.signal === signal) this.abort = null;
            return;
          }
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
        this.on.onAnswer(page);
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
 * calls onUnseen(true) so a "new messages" marker can show. Once the room
 * has answered, the empty element shows while the list has nothing in it.
 */
export class MessageList {
  constructor(list, { mine = () => false, onUnseen = () => {}, empty = null } = {}) {
    this.list = list;
    this.mine = mine; // mine(message): did this browser post it?
    this.onUnseen = onUnseen;
    this.empty = empty;
    this.answered = false; // the room has answered since the last clear()
    this.shown = new Map(); // id → { item, message } of the room's current life
    list.addEventListener("scroll", () => { if (this.atBottom()) this.onUnseen(false); });
  }

  atBottom() {
    const l = this.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 48;
  }

  /** clear empties the list, for another room. */
  clear() {
    this.shown.clear();
    this.list.replaceChildren();
    this.answered = false;
    this.showEmpty();
    this.onUnseen(false);
  }

  /** roomAnswered says the room answered: if it has no messages, say so. */
  roomAnswered() {
    this.answered = true;
    this.showEmpty();
  }

  showEmpty() {
    if (this.empty) this.empty.hidden = !this.answered || this.list.childElementCount > 0;
  }

  /** add shows messages of the room's current life, each once, in id order. */
  add(messages) {
    const stick = this.atBottom();
    let added = false;
    for (const m of messages) {
      const known = this.shown.get(m.id);
      if (known) { // already shown (a post's answer after the poll's, or again): only whose it is may have changed
        known.item.classList.toggle("mine", this.mine(m));
        continue;
      }
      added = true;
      const item = renderMessage(m, this.mine(m));
      this.shown.set(m.id, { item, message: m });
      // Keep id order even when a sent message arrives before older ones;
      // messages of a previous life (before a restart notice) stay before.
      let after = this.list.lastElementChild;
      while (after && this.shown.get(Number(after.dataset.id))?.item === after && Number(after.dataset.id) > m.id) {
        after = after.previousElementSibling;
      }
      if (after) after.after(item); else this.list.prepend(item);
    }
    if (added) this.appended(stick);
  }

  /** remark marks again which messages are mine (another tab posted). */
  remark() {
    for (const { item, message } of this.shown.values()) item.classList.toggle("mine", this.mine(message));
  }

  /**
   * restarted begins a new life of the room: what is shown stays, under a
   * notice saying it is gone from the server; new messages follow it (their
   * ids begin again at 1). With nothing shown there is nothing to say.
   */
  restarted(text) {
    this.shown.clear();
    if (!this.list.childElementCount) return;
    const stick = this.atBottom();
    const li = document.createElement("li");
    li.className = "restarted";
    li.textContent = text;
    this.list.append(li);
    this.appended(stick);
  }

  appended(stick) {
    this.showEmpty();
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
function appendLinked(parent, text) {
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

/** The notice a list shows when the server restarted (onReset). */
export const RESTARTED = "The server restarted; messages before this are gone.";

// The ids this browser posted, kept per room: the newest MY_IDS_PER_ROOM,
// in the MY_ROOMS rooms posted to last, under MY_KEY in localStorage.
export const MY_IDS_PER_ROOM = 500;
const MY_ROOMS = 50;
const MY_KEY = "gochat.mine";

/**
 * MyMessages knows which messages of a room this browser posted: the ids
 * of the 201 answers to its posts, not the author's name (anyone may post
 * under any name, or as anonymous). They live in localStorage, as the name
 * does, so a reload and every tab of this browser show them as yours
 * (sessionStorage would forget them with the tab). An id means something
 * only in its room's epoch: after a restart ids begin again at 1, so the
 * ids of another epoch are dropped. The newest 500 ids per room are kept,
 * five times the server's default history (so more than it shows of a
 * room), in the 50 rooms posted to last: at most about 200 KB. Without
 * storage (disabled, full) they are known to this page only.
 */
export class MyMessages {
  constructor(room) {
    this.room = room;
    this.load();
  }

  /** load reads what is stored, also after another tab changed it. */
  load() {
    const entry = readMine().find((e) => e.room === this.room);
    this.epoch = entry?.epoch ?? "";
    this.ids = new Set(entry?.ids ?? []);
  }

  /** has reports whether this browser posted the message with this id. */
  has(id) {
    return this.ids.has(id);
  }

  /** add remembers a posted message's id, in the room's epoch if known. */
  add(id, epoch) {
    this.save((e) => {
      if (epoch && e.epoch && e.epoch !== epoch) e.ids = [];
      if (epoch) e.epoch = epoch;
      e.ids.push(id);
    });
  }

  /**
   * seen takes the room's epoch from an answer: ids of another epoch are
   * dropped; ids posted before the epoch was known ("", a room created by
   * the post) are adopted by it.
   */
  seen(epoch) {
    if (epoch === this.epoch || (!this.epoch && !this.ids.size)) return;
    this.save((e) => {
      if (e.epoch && e.epoch !== epoch) e.ids = [];
      e.epoch = epoch;
    });
  }

  // save changes the room's stored entry, makes it the most recent, and
  // keeps the bounds.
  save(change) {
    const rooms = readMine();
    const i = rooms.findIndex((e) => e.room === this.room);
    const entry = i >= 0 ? rooms.splice(i, 1)[0] : { room: this.room, epoch: this.epoch, ids: [...this.ids] };
    change(entry);
    entry.ids = entry.ids.slice(-MY_IDS_PER_ROOM);
    rooms.push(entry);
    try {
      localStorage.setItem(MY_KEY, JSON.stringify(rooms.slice(-MY_ROOMS)));
    } catch { /* no storage: this page still knows */ }
    this.epoch = entry.epoch;
    this.ids = new Set(entry.ids);
  }
}

/** readMine returns the stored entries { room, epoch, ids }, oldest first; [] if none or unreadable. */
function readMine() {
  try {
    const rooms = JSON.parse(localStorage.getItem(MY_KEY));
    if (!Array.isArray(rooms)) return [];
    return rooms.filter((e) => typeof e?.room === "string" && typeof e.epoch === "string" && Array.isArray(e.ids));
  } catch {
    return [];
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

/**
 * clearSent takes the text a successful send carried out of textarea: what
 * was typed while it was on its way stays.
 */
export function clearSent(textarea, sent) {
  const now = textarea.value;
  textarea.value = now.startsWith(sent) ? now.slice(sent.length).trimStart() : now;
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
  const empty = $("empty");

  nameInput.value = localStorage.getItem("gochat.name") ?? "";
  nameInput.addEventListener("change", () => localStorage.setItem("gochat.name", nameInput.value.trim()));

  let chat = null;
  let my = null; // MyMessages of the room
  const list = new MessageList($("messages"), {
    mine: (m) => my.has(m.id),
    onUnseen: (unseen) => { marker.hidden = !unseen; },
    empty,
  });
  marker.addEventListener("click", () => list.scrollToEnd());
  window.addEventListener("storage", (e) => { // another tab posted
    if (e.key === null || e.key === MY_KEY) { my.load(); list.remark(); }
  });

  function join() {
    const room = cleanRoom(location.hash.slice(1)) || "lobby";
    if (chat?.room === room) return;
    chat?.stop();
    my = new MyMessages(room);
    list.clear();
    notice.hidden = true;
    empty.textContent = `No messages in #${room} yet. Write the first one below.`;
    roomInput.value = room;
    document.title = `#${room} · gochat`;
    chat = new ChatRoom({
      api,
      room,
      onMessages: (ms) => list.add(ms),
      onReset: () => list.restarted(RESTARTED),
      onAnswer: (page) => { my.seen(page.epoch); list.roomAnswered(); },
      onGap: () => { notice.textContent = "Earlier messages in this room are no longer available."; notice.hidden = false; },
      onState: (state, why) => { status.dataset.state = state; status.textContent = status.title = stateText(state, why); },
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
    const to = chat; // the room may change while the post is on its way
    const toMine = my;
    try {
      const m = await to.send(nameInput.value.trim(), text);
      toMine.add(m.id, to.epoch);
      localStorage.setItem("gochat.name", nameInput.value.trim());
      clearSent(textInput, text);
      sendError.hidden = true;
      if (to === chat) {
        list.add([m]);
        list.scrollToEnd();
      }
    } catch (err) {
      sendError.textContent = err.message; // the input keeps what was typed
      sendError.hidden = false;
    } finally {
      button.disabled = false;
      textInput.focus();
    }
  });

  join();
  // Leaving the page (a reload, a link) ends its poll at once: a page kept
  // in the back/forward cache would otherwise hold its connection for the
  // whole wait, and a few reloads would use up the browser's six
  // connections to the server. Coming back resumes it.
  window.addEventListener("pagehide", () => chat.stop());
  window.addEventListener("pageshow", (e) => { if (e.persisted) chat.start(); });
}

const root = document.getElementById("gochat-app");
if (root) startPage(root);
