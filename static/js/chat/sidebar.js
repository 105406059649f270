// The sidebar: the user's sessions (server-rendered pages, rows from the page's template).
import { NEW_CHAT, els, fragment, label, labels, showError, state, url } from "./page.js";
import { fillTagChips } from "./tags.js";

// A session's row, in the Pinned group or in the recency list.
export function sessionItem(id) { return els.nav.querySelector(`li.session-item[data-id="${id}"]`); }

export function sessionTitle(id) { return sessionItem(id)?.querySelector(".session-title")?.textContent; }

function newSessionItem(id) {
  const item = els.sessionTemplate.content.firstElementChild.cloneNode(true);
  item.dataset.id = id;
  item.querySelector("a").href = url.chat(id);
  // The preview describes the link (its name stays the title): its id is the row's own.
  item.querySelector("a").setAttribute("aria-describedby", `preview-${id}`);
  item.querySelector(".session-preview").id = `preview-${id}`;
  return item;
}

// The preview, or "" where it would only repeat the title: the title is the preview itself, or its
// start cut with "…", as an automatic title is (the template filter beside_title says the same).
function previewBesideTitle(summary) {
  const shown = summary.title || NEW_CHAT;
  const repeats = summary.preview === shown
    || (shown.endsWith("…") && summary.preview.startsWith(shown.slice(0, -1)));
  return repeats ? "" : summary.preview;
}

export function upsertSession(summary, { toTop }) {
  const item = sessionItem(summary.id) || newSessionItem(summary.id);
  item.querySelector(".session-title").textContent = summary.title || NEW_CHAT;
  if (summary.preview !== undefined) item.querySelector(".session-preview").textContent = previewBesideTitle(summary);
  item.querySelector(".count-number").textContent = summary.message_count;
  item.querySelector(".session-count").title = `${summary.message_count} messages`;
  if (summary.last_activity_at) item.dataset.activity = summary.last_activity_at;
  if (summary.tags) fillTagChips(item, summary.tags);
  if (item.parentElement === els.pinned || summary.pinned_at) {
    if (toTop || !item.parentElement) els.pinned.prepend(item);
    els.pinnedGroup.hidden = false;
  } else if (toTop) {
    let heading = els.sessions.querySelector("li.group-heading");
    if (!heading || heading.textContent.trim() !== labels.today) {
      heading = groupHeading(labels.today);
      els.sessions.prepend(heading);
    }
    item.dataset.group = labels.today;
    heading.after(item);
  }
  markCurrent();
  sidebarNote();
}

// A recency group's heading: a list item of the list holding an <h2>, as the server renders it.
function groupHeading(text) {
  const item = document.createElement("li");
  item.className = "group-heading";
  const heading = document.createElement("h2");
  heading.textContent = text;
  item.append(heading);
  return item;
}

// Under the list: "Loading more…" while pages follow, "No chats yet." when there is no chat at all,
// pinned ones included.
function sidebarNote() {
  const empty = !els.nav.querySelector("li.session-item") && !state.pinnedCursor;
  els.more.textContent = state.sidebarCursor ? labels.loadingMore : empty ? labels.noChats : "";
}

export function sessionRemove(id) {
  sessionItem(id)?.remove();
  els.pinnedGroup.hidden = !els.pinned.querySelector("li.session-item") && !state.pinnedCursor;
  for (const heading of els.sessions.querySelectorAll("li.group-heading")) {
    const next = heading.nextElementSibling;
    if (!next || next.classList.contains("group-heading")) heading.remove(); // a group left empty
  }
  sidebarNote();
}

// A session pinned, unpinned, archived, moved to the trash or back (session.updated): it goes to the
// Pinned group, to its place by last activity among the rows loaded (a place in pages not loaded yet
// is left to them), or out of the sidebar.
export function placeSession(summary) {
  if (summary.archived_at || summary.deleted_at) {
    sessionRemove(summary.id);
    return;
  }
  const item = sessionItem(summary.id) || newSessionItem(summary.id);
  const pinned = Boolean(summary.pinned_at);
  if (pinned ? item.parentElement === els.pinned : item.parentElement === els.sessions) {
    upsertSession(summary, { toTop: false });
    return;
  }
  sessionRemove(summary.id);
  item.querySelector(".session-title").textContent = summary.title || NEW_CHAT;
  if (summary.preview !== undefined) item.querySelector(".session-preview").textContent = previewBesideTitle(summary);
  item.querySelector(".count-number").textContent = summary.message_count;
  item.dataset.activity = summary.last_activity_at;
  if (summary.tags) fillTagChips(item, summary.tags);
  if (pinned) {
    insertByActivity(els.pinned, item, Boolean(state.pinnedCursor));
    els.pinnedGroup.hidden = false;
  } else {
    item.dataset.group = recencyGroup(new Date(summary.last_activity_at));
    if (insertByActivity(els.sessions, item, Boolean(state.sidebarCursor))) groupHeadingFor(item);
  }
  markCurrent();
  sidebarNote();
}

function insertByActivity(list, item, morePages) {
  const when = Date.parse(item.dataset.activity);
  const rows = [...list.querySelectorAll("li.session-item")];
  const next = rows.find((row) => Date.parse(row.dataset.activity) < when);
  if (!next && morePages) return false;
  if (!next) {
    list.append(item);
  } else {
    const before = next.previousElementSibling;
    const heading = before?.classList.contains("group-heading") && next.dataset.group !== item.dataset.group;
    (heading ? before : next).before(item);
  }
  return true;
}

// The row's recency group heading above it, when the row before it is of another group.
function groupHeadingFor(item) {
  const before = item.previousElementSibling;
  const group = before?.classList.contains("group-heading") ? before.textContent.trim() : before?.dataset.group;
  if (group === item.dataset.group) return;
  item.before(groupHeading(item.dataset.group));
  const after = item.nextElementSibling;
  if (after && !after.classList.contains("group-heading") && after.dataset.group !== item.dataset.group) {
    item.after(groupHeading(after.dataset.group));
  }
}

// Today, Yesterday, Previous 7 days or Older, as the server groups the rows it renders.
function recencyGroup(moment) {
  const day = (date) => new Date(date.getFullYear(), date.getMonth(), date.getDate());
  const days = Math.round((day(new Date()) - day(moment)) / 86_400_000);
  if (days <= 0) return labels.today;
  if (days === 1) return labels.yesterday;
  if (days < 8) return labels.previousWeek;
  return labels.older;
}

export async function loadMorePinned() {
  if (!state.pinnedCursor) return;
  try {
    const { html, headers } = await fragment(url.sidebar(`view=pinned&cursor=${encodeURIComponent(state.pinnedCursor)}`));
    els.pinned.insertAdjacentHTML("beforeend", html); // server-rendered, escaped
    state.pinnedCursor = headers.get("X-Next-Cursor") || null;
    els.pinnedMore.hidden = !state.pinnedCursor;
    markCurrent();
  } catch (error) {
    showError(label("moreChatsFailed", { reason: error.message }));
  }
}

export function markCurrent() {
  for (const item of els.nav.querySelectorAll("li.session-item")) {
    const current = item.dataset.id === state.sessionId;
    item.classList.toggle("current", current);
    const link = item.querySelector("a");
    if (current) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
}

export async function loadMoreSessions() {
  if (!state.sidebarCursor || state.loadingSessions) return;
  state.loadingSessions = true;
  try {
    const items = els.sessions.querySelectorAll("li.session-item");
    const group = items.length ? items[items.length - 1].dataset.group : "";
    const query = `cursor=${encodeURIComponent(state.sidebarCursor)}&group=${encodeURIComponent(group)}`;
    const { html, headers } = await fragment(url.sidebar(query));
    els.sessions.insertAdjacentHTML("beforeend", html); // server-rendered, escaped
    state.sidebarCursor = headers.get("X-Next-Cursor") || null;
    sidebarNote();
    markCurrent();
  } catch (error) {
    showError(label("moreChatsFailed", { reason: error.message }));
  } finally {
    state.loadingSessions = false;
  }
}

// The search box's results: chat/search.js.
