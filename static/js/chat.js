// The chat page: one WebSocket (docs/websocket.md), server-rendered HTML fragments for messages
// and sidebar pages, and nothing typed ever lost (drafts live in localStorage until sent).
import { Socket } from "./socket.js";

const config = JSON.parse(document.getElementById("chat-config").textContent);
const $ = (id) => document.getElementById(id);
const els = {
  sidebar: $("sidebar"), sessions: $("sessions"), more: $("sidebar-more"), search: $("search"),
  searchResults: $("search-results"), searchList: $("search-list"), searchStatus: $("search-status"),
  nav: $("session-nav"), title: $("chat-title"), personaName: $("persona-name"), actions: $("chat-actions"),
  messages: $("messages"), list: $("message-list"), older: $("older"), streaming: $("streaming"),
  streamingText: $("streaming-text"), empty: $("empty-state"), persona: $("persona"), form: $("composer"),
  input: $("input"), send: $("send"), stop: $("stop"), error: $("chat-error"), confirm: $("confirm"),
  confirmTitle: $("confirm-title"), confirmText: $("confirm-text"), confirmOk: $("confirm-ok"),
  exportJson: $("export-json"), exportMd: $("export-md"),
};

const state = {
  sessionId: config.sessionId,
  firstSeq: config.firstSeq,
  lastSeq: config.lastSeq,
  hasOlder: config.hasOlder,
  sidebarCursor: config.sidebarCursor,
  reply: null, // {text} while a reply streams in the open session
  catchingUp: null,
  sending: null, // the client_id of the message in the box, sent and not yet accepted
};

// ---- drafts -------------------------------------------------------------------------------
const draftKey = (sessionId) => `chat-draft:${config.userId}:${sessionId || "new"}`;
function saveDraft() {
  const key = draftKey(state.sessionId);
  if (els.input.value) localStorage.setItem(key, els.input.value);
  else localStorage.removeItem(key);
}
function restoreDraft() {
  els.input.value = localStorage.getItem(draftKey(state.sessionId)) || "";
}

// ---- the outbox: messages sent and not yet accepted by the server --------------------------
// Kept in localStorage until the server answers send.accepted (or refuses them), and sent again
// (same client_id, so never stored twice) whenever the socket (re)opens, reloads included.
const outboxKey = `chat-outbox:${config.userId}`;
function outbox() {
  try { return JSON.parse(localStorage.getItem(outboxKey)) || []; } catch { return []; }
}
function outboxSave(messages) {
  if (messages.length) localStorage.setItem(outboxKey, JSON.stringify(messages));
  else localStorage.removeItem(outboxKey);
}
function outboxTake(clientId) {
  const messages = outbox();
  const message = messages.find((m) => m.client_id === clientId);
  if (message) outboxSave(messages.filter((m) => m !== message));
  return message;
}
function sendOutbox() {
  for (const message of outbox()) socket.sendNow(message);
}
function showSending(message) {
  state.sending = message.client_id;
  els.input.value = message.text;
  els.input.readOnly = true;
  els.send.disabled = true;
  els.empty.hidden = true;
  addPending(message.text, message.client_id);
}
function sendingDone() {
  state.sending = null;
  els.input.readOnly = false;
  els.send.disabled = false;
}

// ---- small helpers ------------------------------------------------------------------------
function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function api(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!response.ok) {
    let detail = `The server answered ${response.status}.`;
    try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
    throw new Error(detail);
  }
  return response.status === 204 ? null : response.json();
}

function showError(message) {
  els.error.textContent = message;
  els.error.hidden = !message;
}

function nearBottom() {
  const m = els.messages;
  return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
}
function scrollToBottom() { els.messages.scrollTop = els.messages.scrollHeight; }

function confirmAction({ title, text, ok }) {
  els.confirmTitle.textContent = title;
  els.confirmText.textContent = text;
  els.confirmOk.textContent = ok;
  els.confirm.returnValue = "";
  els.confirm.showModal();
  return new Promise((resolve) => {
    els.confirm.addEventListener("close", () => resolve(els.confirm.returnValue === "ok"), { once: true });
  });
}

// ---- messages -----------------------------------------------------------------------------
function appendHTML(html) {
  const stick = nearBottom();
  const template = document.createElement("template");
  template.innerHTML = html; // server-rendered: escaped text, sanitized Markdown
  for (const item of template.content.querySelectorAll("li.message")) {
    const seq = Number(item.dataset.seq);
    if (els.list.querySelector(`li.message[data-seq="${seq}"]`)) continue;
    els.list.querySelectorAll("li.pending").forEach((p) => p.remove());
    els.list.append(item);
    state.lastSeq = Math.max(state.lastSeq, seq);
    if (state.firstSeq === null) state.firstSeq = seq;
  }
  if (stick) scrollToBottom();
}

// Fetch what is newer than the last message shown, page by page; calls made while a fetch is out
// share the one after it.
function catchUp() {
  if (!state.sessionId) return Promise.resolve();
  if (state.catchingUp) {
    // Every call while a fetch is out shares one more fetch after it: a save of 1,000 messages
    // sends 1,000 utterance events, and that is two requests, not 1,000.
    state.catchUpNext ??= state.catchingUp.then(() => { state.catchUpNext = null; return catchUp(); });
    return state.catchUpNext;
  }
  const sessionId = state.sessionId;
  state.catchingUp = (async () => {
    for (;;) { // pages of 200 until the newest
      const response = await fetch(`/c/${sessionId}/messages/?after=${state.lastSeq}&limit=200`,
        { credentials: "same-origin" });
      if (!response.ok) return;
      const html = await response.text();
      if (sessionId !== state.sessionId) return;
      if (html) appendHTML(html);
      if (response.headers.get("X-Has-After") !== "1") return;
    }
  })().catch(() => {}).finally(() => { state.catchingUp = null; });
  return state.catchingUp;
}

async function loadOlder() {
  if (!state.sessionId || !state.hasOlder || state.loadingOlder) return;
  state.loadingOlder = true;
  try {
    const response = await fetch(`/c/${state.sessionId}/messages/?before=${state.firstSeq}&limit=50`,
      { credentials: "same-origin" });
    if (!response.ok) return;
    const html = await response.text();
    const template = document.createElement("template");
    template.innerHTML = html;
    const items = [...template.content.querySelectorAll("li.message")];
    const previousHeight = els.messages.scrollHeight;
    els.list.prepend(...items);
    els.messages.scrollTop += els.messages.scrollHeight - previousHeight;
    if (items.length) state.firstSeq = Number(items[0].dataset.seq);
    state.hasOlder = response.headers.get("X-Has-Before") === "1";
    els.older.hidden = !state.hasOlder;
  } finally {
    state.loadingOlder = false;
  }
}

function addPending(text, clientId) {
  const item = document.createElement("li");
  item.className = "message user pending";
  item.dataset.clientId = clientId;
  const role = document.createElement("div");
  role.className = "message-role";
  role.textContent = "You";
  const body = document.createElement("div");
  body.className = "message-body";
  const p = document.createElement("p");
  p.className = "plain";
  p.textContent = text;
  body.append(p);
  item.append(role, body);
  els.list.append(item);
  scrollToBottom();
}

// ---- the streaming reply ------------------------------------------------------------------
function replyBegin(text = "") {
  state.reply = { text };
  els.streamingText.textContent = text;
  els.streaming.hidden = false;
  els.stop.hidden = false;
  scrollToBottom();
}
function replyDelta(offset, text) {
  if (!state.reply) replyBegin();
  if (offset !== state.reply.text.length) return; // already have it, or a gap the end will mend
  const stick = nearBottom();
  state.reply.text += text;
  els.streamingText.textContent = state.reply.text;
  if (stick) scrollToBottom();
}
function replyFinish() {
  state.reply = null;
  els.streaming.hidden = true;
  els.streamingText.textContent = "";
  els.stop.hidden = true;
}

// ---- sidebar ------------------------------------------------------------------------------
function sessionItem(id) { return els.sessions.querySelector(`li.session-item[data-id="${id}"]`); }

function upsertSession(summary, { toTop }) {
  let item = sessionItem(summary.id);
  if (!item) {
    item = document.createElement("li");
    item.className = "session-item";
    item.dataset.id = summary.id;
    const link = document.createElement("a");
    link.href = `/c/${summary.id}/`;
    const title = document.createElement("span");
    title.className = "session-title";
    const count = document.createElement("span");
    count.className = "session-count";
    link.append(title, count);
    item.append(link);
  }
  item.querySelector(".session-title").textContent = summary.title || "New chat";
  const count = item.querySelector(".session-count");
  const spoken = document.createElement("span");
  spoken.className = "visually-hidden";
  spoken.textContent = " messages";
  count.replaceChildren(String(summary.message_count), spoken); // as _sidebar_items.html renders it
  count.title = `${summary.message_count} messages`;
  if (toTop) {
    let heading = els.sessions.querySelector("li.group-heading");
    if (!heading || heading.textContent.trim() !== "Today") {
      heading = document.createElement("li");
      heading.className = "group-heading";
      heading.setAttribute("role", "presentation");
      heading.textContent = "Today";
      els.sessions.prepend(heading);
    }
    item.dataset.group = "Today";
    heading.after(item);
  }
  markCurrent();
  sidebarNote();
}

// Under the list: "Loading more…" while pages follow, "No chats yet." when the list is empty.
function sidebarNote() {
  const empty = !els.sessions.querySelector("li.session-item");
  els.more.textContent = state.sidebarCursor ? "Loading more…" : empty ? "No chats yet." : "";
}

function sessionRemove(id) {
  sessionItem(id)?.remove();
  for (const heading of els.sessions.querySelectorAll("li.group-heading")) {
    const next = heading.nextElementSibling;
    if (!next || next.classList.contains("group-heading")) heading.remove(); // a group left empty
  }
  sidebarNote();
}

function markCurrent() {
  for (const item of els.sessions.querySelectorAll("li.session-item")) {
    const current = item.dataset.id === state.sessionId;
    item.classList.toggle("current", current);
    const link = item.querySelector("a");
    if (current) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
}

async function loadMoreSessions() {
  if (!state.sidebarCursor || state.loadingSessions) return;
  state.loadingSessions = true;
  try {
    const items = els.sessions.querySelectorAll("li.session-item");
    const group = items.length ? items[items.length - 1].dataset.group : "";
    const url = `/sidebar/?cursor=${encodeURIComponent(state.sidebarCursor)}&group=${encodeURIComponent(group)}`;
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    els.sessions.insertAdjacentHTML("beforeend", await response.text()); // server-rendered, escaped
    state.sidebarCursor = response.headers.get("X-Next-Cursor") || null;
    sidebarNote();
    markCurrent();
  } finally {
    state.loadingSessions = false;
  }
}

// ---- search -------------------------------------------------------------------------------
let searchTimer = null;
let searchSerial = 0;
function onSearchInput() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 250);
}
async function runSearch() {
  const q = els.search.value.trim();
  const serial = ++searchSerial;
  if (!q) {
    els.searchResults.hidden = true;
    els.nav.hidden = false;
    return;
  }
  let results;
  let status = "";
  try {
    const answer = await api("GET", `/api/sessions/?q=${encodeURIComponent(q)}&limit=30`);
    results = answer.results;
    if (answer.too_broad) status = answer.detail;
  } catch (error) {
    results = [];
    status = error.message;
  }
  if (serial !== searchSerial) return; // a newer search is on its way
  els.searchList.replaceChildren(...results.map(searchResultItem));
  els.searchStatus.textContent = status || (results.length ? `${results.length} found` : "Nothing found.");
  els.searchResults.hidden = false;
  els.nav.hidden = true;
}
function searchResultItem(hit) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = `/c/${hit.id}/`;
  const title = document.createElement("span");
  title.className = "session-title";
  title.textContent = hit.title || "New chat";
  const snippet = document.createElement("span");
  snippet.className = "snippet";
  let position = 0;
  for (const [start, end] of hit.highlights || []) {
    snippet.append(hit.snippet.slice(position, start));
    const mark = document.createElement("mark");
    mark.textContent = hit.snippet.slice(start, end);
    snippet.append(mark);
    position = end;
  }
  snippet.append((hit.snippet || "").slice(position));
  link.append(title, snippet);
  item.append(link);
  return item;
}

// ---- header and actions -------------------------------------------------------------------
function showSession(summary) {
  state.sessionId = summary.id;
  els.title.textContent = summary.title || "New chat";
  document.title = `${summary.title || "New chat"} · Chat`;
  els.actions.hidden = false;
  els.empty.hidden = true;
  els.exportJson.href = `/api/sessions/${summary.id}/export/?format=json`;
  els.exportMd.href = `/api/sessions/${summary.id}/export/?format=markdown`;
  markCurrent();
}

function newChat({ push = true } = {}) {
  if (state.reply && state.sessionId) socket.send({ type: "stop", session_id: state.sessionId });
  replyFinish();
  if (state.sending) {
    sendingDone(); // it stays in the outbox until the server has it
    els.input.value = "";
  }
  saveDraft();
  state.sessionId = null;
  state.firstSeq = null;
  state.lastSeq = 0;
  state.hasOlder = false;
  els.list.replaceChildren();
  els.older.hidden = true;
  els.title.textContent = "New chat";
  els.personaName.textContent = "";
  document.title = "New chat · Chat";
  els.actions.hidden = true;
  els.empty.hidden = false;
  if (push) history.pushState({}, "", "/");
  markCurrent();
  restoreDraft();
  closeSidebar();
  els.input.focus();
}

function startRename() {
  if (!state.sessionId || els.title.querySelector("input")) return;
  const current = els.title.textContent;
  const field = document.createElement("input");
  field.value = current === "New chat" ? "" : current;
  field.maxLength = 200;
  field.setAttribute("aria-label", "Chat title");
  field.className = "rename-field";
  els.title.replaceChildren(field);
  field.focus();
  field.select();
  let done = false;
  const finish = async (save) => {
    if (done) return;
    done = true;
    els.title.textContent = current;
    if (!save || field.value.trim() === current) return;
    try {
      const session = await api("PATCH", `/api/sessions/${state.sessionId}/`, { title: field.value.trim() });
      els.title.textContent = session.title || "New chat";
      upsertSession({ ...session, title: session.title }, { toTop: false });
    } catch (error) {
      showError(error.message);
    }
    $("rename").focus();
  };
  field.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); finish(true); }
    if (event.key === "Escape") { event.preventDefault(); finish(false); }
  });
  field.addEventListener("blur", () => finish(true));
}

async function deleteChat() {
  const ok = await confirmAction({
    title: "Delete this chat?", text: "The chat and all its messages will be deleted for good.", ok: "Delete",
  });
  if (!ok) return;
  const id = state.sessionId;
  try {
    await api("DELETE", `/api/sessions/${id}/`);
    sessionRemove(id);
    newChat();
  } catch (error) {
    showError(error.message);
  }
}

async function clearChat() {
  const ok = await confirmAction({
    title: "Clear this chat's history?", text: "Every message will be removed; the chat stays.", ok: "Clear",
  });
  if (!ok) return;
  try {
    await api("POST", `/api/sessions/${state.sessionId}/clear/`);
    els.list.replaceChildren();
  } catch (error) {
    showError(error.message);
  }
}

// ---- sending ------------------------------------------------------------------------------
// The box keeps the text until the server has accepted the message: a refusal (busy, rate
// limited, invalid) leaves it there with the reason, and a dropped connection sends it again.
function sendMessage() {
  const text = els.input.value;
  if (!text.trim() || state.sending) return;
  if (state.reply) {
    showError("The assistant is still answering: stop it or wait for the end.");
    return;
  }
  showError("");
  const message = { type: "send", client_id: crypto.randomUUID(), text };
  if (state.sessionId) message.session_id = state.sessionId;
  else message.persona = els.persona.value;
  outboxSave([...outbox(), message]);
  showSending(message);
  if (!socket.sendNow(message)) showError("Not connected: the message will be sent when the connection is back.");
}

function sendAccepted(clientId) {
  const message = outboxTake(clientId);
  if (message) localStorage.removeItem(draftKey(message.session_id));
  if (state.sending !== clientId) return;
  sendingDone();
  els.input.value = "";
}

function sendRefused(clientId, reason) {
  const message = outboxTake(clientId);
  els.list.querySelector(`li.pending[data-client-id="${CSS.escape(clientId)}"]`)?.remove();
  if (state.sending === clientId) {
    sendingDone();
    showError(reason);
    els.input.focus();
  } else if (message && !localStorage.getItem(draftKey(message.session_id))) {
    localStorage.setItem(draftKey(message.session_id), message.text); // not lost: back in its draft
  }
}

// ---- socket events ------------------------------------------------------------------------
const handlers = {
  "session.opened": (event) => {
    if (event.session.id !== state.sessionId) return;
    if (event.reply_in_progress) replyBegin(event.reply_in_progress.text);
    catchUp();
  },
  "send.accepted": (event) => {
    sendAccepted(event.client_id);
    if (!state.sessionId) {
      state.sessionId = event.session_id;
      history.pushState({}, "", `/c/${event.session_id}/`);
      els.personaName.textContent = els.persona.selectedOptions[0]?.textContent || "";
      showSession({ id: event.session_id, title: sessionItem(event.session_id)?.querySelector(".session-title")?.textContent });
    }
  },
  utterance: (event) => {
    if (event.session_id === state.sessionId && event.utterance.seq > state.lastSeq && event.utterance.is_final) catchUp();
  },
  "reply.start": (event) => { if (event.session_id === state.sessionId) replyBegin(); },
  "reply.delta": (event) => { if (event.session_id === state.sessionId) replyDelta(event.offset, event.text); },
  "reply.end": (event) => {
    if (event.session_id !== state.sessionId) return;
    catchUp().then(replyFinish);
  },
  "session.created": (event) => upsertSession(event.session, { toTop: true }),
  "session.activity": (event) => {
    upsertSession(event.session, { toTop: true });
    if (event.session.id === state.sessionId) {
      els.title.textContent = event.session.title || "New chat";
      document.title = `${event.session.title || "New chat"} · Chat`;
    }
  },
  "session.renamed": (event) => {
    upsertSession(event.session, { toTop: false });
    if (event.session.id === state.sessionId && !els.title.querySelector("input")) {
      els.title.textContent = event.session.title || "New chat";
    }
  },
  "session.cleared": (event) => { if (event.session_id === state.sessionId) els.list.replaceChildren(); },
  "session.deleted": (event) => {
    for (const id of event.session_ids) sessionRemove(id);
    if (event.session_ids.includes(state.sessionId)) newChat();
  },
  error: (event) => {
    if (event.ref === "send" && event.client_id) sendRefused(event.client_id, event.message);
    else showError(event.message);
  },
};

const socket = new Socket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/chat/`, {
  onOpen: () => {
    if (state.sessionId) socket.send({ type: "open", session_id: state.sessionId });
    sendOutbox();
  },
  onEvent: (event) => handlers[event.type]?.(event),
  onStatus: (text) => {
    if (text) showError(text);
    else if (/^(Reconnecting|Too many chat tabs|You have \d+ chat tabs)/.test(els.error.textContent)) showError("");
  },
});

// ---- layout -------------------------------------------------------------------------------
function closeSidebar() {
  document.body.classList.remove("sidebar-open");
  $("toggle-sidebar").setAttribute("aria-expanded", "false");
}

// ---- wiring -------------------------------------------------------------------------------
els.form.addEventListener("submit", (event) => { event.preventDefault(); sendMessage(); });
els.input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    sendMessage();
  }
});
els.input.addEventListener("input", saveDraft);
els.stop.addEventListener("click", () => { if (state.sessionId) socket.send({ type: "stop", session_id: state.sessionId }); });
$("new-chat").addEventListener("click", () => newChat());
$("rename").addEventListener("click", startRename);
$("delete").addEventListener("click", deleteChat);
$("clear").addEventListener("click", clearChat);
els.search.addEventListener("input", onSearchInput);
els.search.addEventListener("keydown", (event) => {
  if (event.key === "Escape") { els.search.value = ""; runSearch(); }
});
for (const button of document.querySelectorAll("button.sample")) {
  button.addEventListener("click", () => { els.input.value = button.textContent; saveDraft(); els.input.focus(); });
}
$("toggle-sidebar").addEventListener("click", () => {
  const open = document.body.classList.toggle("sidebar-open");
  $("toggle-sidebar").setAttribute("aria-expanded", String(open));
  if (open) els.search.focus();
});
$("close-sidebar").addEventListener("click", () => { closeSidebar(); $("toggle-sidebar").focus(); });
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.body.classList.contains("sidebar-open")) closeSidebar();
});
window.addEventListener("popstate", () => location.reload());

new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) loadMoreSessions(); })
  .observe(els.more);
new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) loadOlder(); },
  { root: els.messages }).observe(els.older);

restoreDraft();
const unsent = outbox().find((m) => (m.session_id || null) === state.sessionId);
if (unsent) showSending(unsent);
scrollToBottom();
socket.connect();
els.input.focus();
