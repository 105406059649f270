// The page's elements, its declared state, and the helpers every part uses.
export const config = JSON.parse(document.getElementById("chat-config").textContent);
export const $ = (id) => document.getElementById(id);

export const els = {
  sidebar: $("sidebar"), sessions: $("sessions"), more: $("sidebar-more"), search: $("search"),
  pinnedGroup: $("pinned-group"), pinned: $("pinned"), pinnedMore: $("pinned-more"),
  actionsToggle: $("actions-toggle"), actionsMenu: $("actions-menu"), pin: $("pin"), archive: $("archive"),
  searchResults: $("search-results"), searchList: $("search-list"), searchStatus: $("search-status"),
  nav: $("session-nav"), title: $("chat-title"), personaName: $("persona-name"), actions: $("chat-actions"),
  messages: $("messages"), list: $("message-list"), older: $("older"), streaming: $("streaming"),
  streamingText: $("streaming-text"), empty: $("empty-state"), persona: $("persona"), form: $("composer"),
  input: $("input"), send: $("send"), stop: $("stop"), error: $("chat-error"), confirm: $("confirm"),
  toast: $("toast"), toastText: $("toast-text"), toastUndo: $("toast-undo"), toastHint: $("toast-hint"),
  toastLink: $("toast-link"),
  confirmTitle: $("confirm-title"), confirmText: $("confirm-text"), confirmOk: $("confirm-ok"),
  exportJson: $("export-json"), exportMd: $("export-md"), toggleSidebar: $("toggle-sidebar"),
  sessionTemplate: $("session-item-template"), messageTemplate: $("message-template"),
  editTemplate: $("edit-template"), announce: $("announce"),
  newer: $("newer"), landingBanner: $("landing-banner"), landingText: $("landing-text"),
  landingContinue: $("landing-continue"), hitNav: $("hit-nav"), hitPrev: $("hit-prev"), hitNext: $("hit-next"),
  hitPosition: $("hit-position"),
};

export const state = {
  sessionId: config.sessionId, // the open session, null for a new chat
  firstSeq: config.firstSeq, // the oldest and newest messages shown
  lastSeq: config.lastSeq,
  hasOlder: config.hasOlder,
  sidebarCursor: config.sidebarCursor, // the next sidebar page, null at the end
  pinnedCursor: config.pinnedCursor, // the next page of the Pinned group
  pinned: config.pinned, // the open session's pin and archive
  archived: config.archived,
  reply: null, // {text} while a reply streams in the open session
  sending: null, // the client_id of the message in the box, sent and not yet accepted
  switchFocus: null, // {seq, control}: the message a switch was asked from, shown once the head moves
  catchingUp: null, // the fetch of newer messages in flight, and the one queued after it
  catchUpNext: null,
  loadingOlder: false,
  loadingSessions: false,
  // Opened at a message (chat/landing.js): newer messages to load on scroll, and the path shown when
  // it is not the active branch (its last seq: the pages' `leaf`).
  hasNewer: Boolean(config.landing?.hasNewer),
  leaf: config.landing?.leaf ?? null,
  loadingNewer: false,
};

// The pages' `leaf` parameter while another version of the chat is shown.
export const viewParam = () => (state.leaf === null ? "" : `&leaf=${state.leaf}`);

// URLs and words come from the page's config (conversation/views.py), not from literals here.
const withId = (template, id) => template.replace(config.idPlaceholder, id);
export const url = {
  home: config.urls.home,
  chat: (id) => withId(config.urls.chat, id),
  messages: (id, query) => `${withId(config.urls.messages, id)}?${query}`,
  utterances: (id, query) => `${withId(config.urls.utterances, id)}?${query}`,
  fork: (id) => withId(config.urls.fork, id),
  switch: (id) => withId(config.urls.switch, id),
  hits: (q) => `${config.urls.search}?q=${encodeURIComponent(q)}`,
  sidebar: (query) => `${config.urls.sidebar}?${query}`,
  session: (id) => withId(config.urls.session, id),
  clear: (id) => withId(config.urls.clear, id),
  restore: (id) => withId(config.urls.restore, id),
  export: (id, format) => `${withId(config.urls.export, id)}?format=${format}`,
  search: (q) => `${config.urls.sessions}?q=${encodeURIComponent(q)}&limit=30`,
  socket: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${config.urls.socket}`,
};

export const labels = config.labels;
export const NEW_CHAT = labels.newChat;

// A label with its {name} marks filled in.
export function label(name, values = {}) {
  return labels[name].replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
}

// `connection`: a notice about the socket, cleared once it is back.
export function showError(message, { connection = false } = {}) {
  els.error.textContent = message;
  els.error.hidden = !message;
  els.error.dataset.connection = String(connection && Boolean(message));
}

export function nearBottom() {
  const m = els.messages;
  return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
}

export function scrollToBottom() { els.messages.scrollTop = els.messages.scrollHeight; }

export function confirmAction({ title, text, ok }) {
  els.confirmTitle.textContent = title;
  els.confirmText.textContent = text;
  els.confirmOk.textContent = ok;
  els.confirm.returnValue = "";
  els.confirm.showModal();
  return new Promise((resolve) => {
    els.confirm.addEventListener("close", () => resolve(els.confirm.returnValue === "ok"), { once: true });
  });
}

// ---- the phone drawer: the sidebar at 760 px and less --------------------------------------------
// Closed, it is inert (its links off-screen are out of Tab's reach); open, the rest of the page is
// inert and Tab cycles inside it. On a wide screen the sidebar is a column, never inert.
const narrow = matchMedia("(max-width: 760px)");

function drawerOpen() { return narrow.matches && document.body.classList.contains("sidebar-open"); }

// What the open drawer covers: the siblings of the sidebar and of each of its ancestors.
function outsideSidebar() {
  const covered = [];
  for (let node = els.sidebar; node.parentElement && node !== document.body; node = node.parentElement) {
    for (const sibling of node.parentElement.children) {
      if (sibling !== node && !(sibling instanceof HTMLScriptElement)) covered.push(sibling);
    }
  }
  return covered;
}

function syncDrawer() {
  const open = drawerOpen();
  for (const element of outsideSidebar()) element.inert = open;
  if (narrow.matches && !open && els.sidebar.contains(document.activeElement)) els.toggleSidebar.focus();
  els.sidebar.inert = narrow.matches && !open;
  els.toggleSidebar.setAttribute("aria-expanded", String(open));
}

export function openSidebar() {
  document.body.classList.add("sidebar-open");
  syncDrawer();
  els.search.focus();
}

// Closing from inside the drawer (Escape, Close chats) takes the focus back to the Chats button.
export function closeSidebar() {
  document.body.classList.remove("sidebar-open");
  syncDrawer();
}

function tabStops(root) {
  return [...root.querySelectorAll("a[href], button, input, select, textarea, [tabindex]")]
    .filter((element) => !element.disabled && element.tabIndex >= 0 && element.getClientRects().length > 0);
}

// A tap or click beside the open drawer (on the dimmed, inert page) closes it.
export function onDrawerClick(event) {
  if (!drawerOpen() || els.sidebar.contains(event.target) || els.toggleSidebar.contains(event.target)) return;
  closeSidebar();
  els.toggleSidebar.focus();
}

// Tab and Shift+Tab cycle inside the open drawer; Escape closes it.
export function onDrawerKey(event) {
  if (!drawerOpen()) return;
  if (event.key === "Escape") {
    closeSidebar();
    els.toggleSidebar.focus();
    return;
  }
  if (event.key !== "Tab") return;
  const stops = tabStops(els.sidebar);
  if (!stops.length) return;
  const inside = els.sidebar.contains(document.activeElement);
  const [first, last] = [stops[0], stops[stops.length - 1]];
  if (event.shiftKey && (!inside || document.activeElement === first)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (!inside || document.activeElement === last)) {
    event.preventDefault();
    first.focus();
  }
}

// Across the breakpoint: a drawer left open on a phone is a plain column on a wide screen.
narrow.addEventListener("change", () => {
  if (!narrow.matches) document.body.classList.remove("sidebar-open");
  syncDrawer();
});
syncDrawer();

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

// A JSON call to the API; an answer other than 2xx throws an Error with the server's message.
export async function api(method, target, body) {
  const response = await fetch(target, {
    method,
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!response.ok) {
    let detail = label("serverAnswered", { status: response.status });
    let answer = null;
    try {
      answer = await response.json();
      detail = answer.detail || detail;
    } catch { /* the body is not JSON: keep the status */ }
    throw Object.assign(new Error(detail), { status: response.status, answer });
  }
  return response.status === 204 ? null : response.json();
}

// An HTML fragment of the server's (escaped text, sanitized Markdown), or an Error.
export async function fragment(target) {
  const response = await fetch(target, { credentials: "same-origin" });
  if (!response.ok) throw new Error(label("serverAnswered", { status: response.status }));
  return { html: await response.text(), headers: response.headers };
}
