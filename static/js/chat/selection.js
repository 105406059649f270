// Acting on many (docs/bulk.md): chats selected in the sidebar or in the search results, then one
// action on them all through POST /api/sessions/bulk/, with one toast and one Undo for the whole of it.
// "Select" shows a checkbox on each row ("Select <title>"); a click, Space, Shift+click and Shift+Space
// (a range from the last one chosen), Shift+arrows (the next row too), Ctrl/Cmd+A (the whole list);
// Escape leaves. The same chat's rows (several hits of one chat) share one state.
import { $, api, closeSidebar, config, els, label, labels, showError } from "./page.js";
import { showToast } from "./session.js";
import { sessionRemove } from "./sidebar.js";

const ui = {
  toggle: $("select-toggle"), bar: $("bulk-bar"), count: $("bulk-count"), status: $("bulk-status"),
  pin: $("bulk-pin"), dialog: $("bulk-dialog"), dialogTitle: $("bulk-dialog-title"), folderField: $("bulk-folder-field"),
  folder: $("bulk-folder"), tagsField: $("bulk-tags-field"), tags: $("bulk-tags"),
};
const ROWS = "li.session-item, #search-list > li";
const sel = { on: false, ids: new Set(), anchor: null };
const [chatPrefix, chatSuffix] = config.urls.chat.split(config.idPlaceholder);
const TOASTS = {
  move: "bulkMoved", tag: "bulkTagged", untag: "bulkUntagged", pin: "bulkPinned", unpin: "bulkUnpinned",
  archive: "bulkArchived", trash: "bulkTrashed",
};

// A sidebar row names its chat in data-id, a search hit in data-session-id (or only in its link).
function rowId(row) {
  if (row.dataset.id || row.dataset.sessionId) return row.dataset.id || row.dataset.sessionId;
  const path = row.querySelector("a")?.pathname || "";
  return path.startsWith(chatPrefix) && path.endsWith(chatSuffix)
    ? path.slice(chatPrefix.length, path.length - chatSuffix.length) : null;
}

function rowTitle(row) {
  return (row.querySelector(".session-title") || row.querySelector("a") || row).textContent.trim();
}

function chats(count) { return count === 1 ? labels.chatsOne : label("chatsMany", { count }); }

function boxes(root = els.sidebar) { return [...root.querySelectorAll("input.select-box")]; }

function decorate(row) {
  const id = rowId(row);
  let box = row.querySelector(":scope > input.select-box");
  if (!id) return;
  if (!box) {
    box = document.createElement("input");
    box.type = "checkbox";
    box.className = "select-box";
    box.dataset.id = id;
    row.prepend(box);
  }
  box.setAttribute("aria-label", label("selectRow", { title: rowTitle(row) }));
  box.checked = sel.ids.has(id);
}

// Rows added, renamed or gone (pages, search, events): boxes on the new, none left for the gone.
function refresh() {
  if (!sel.on) return;
  for (const row of els.sidebar.querySelectorAll(ROWS)) decorate(row);
  const shown = new Set(boxes().map((box) => box.dataset.id));
  for (const id of [...sel.ids]) if (!shown.has(id)) sel.ids.delete(id);
  showCount();
}

function showCount() {
  const count = sel.ids.size;
  ui.count.textContent = label("selectedCount", { count });
  for (const button of ui.bar.querySelectorAll("button[data-bulk]:not([data-bulk=cancel])")) button.disabled = !count;
  // Pin, or Unpin when every chat chosen is pinned already.
  const pinned = count && [...sel.ids].every((id) => els.pinned.querySelector(`li.session-item[data-id="${id}"]`));
  ui.pin.dataset.bulk = pinned ? "unpin" : "pin";
  ui.pin.textContent = pinned ? labels.unpin : labels.pin;
}

// The count said once the choosing pauses, not at every box of a range.
let statusTimer = null;
function announceCount() {
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { ui.status.textContent = label("selectedCount", { count: sel.ids.size }); }, 400);
}

function setChosen(ids, on) {
  for (const id of ids) if (on) sel.ids.add(id); else sel.ids.delete(id);
  for (const box of boxes()) box.checked = sel.ids.has(box.dataset.id);
  showCount();
  announceCount();
}

export function selectMode(on) {
  sel.on = on;
  sel.anchor = null;
  if (!on) sel.ids.clear();
  els.sidebar.classList.toggle("selecting", on);
  ui.toggle.setAttribute("aria-pressed", String(on));
  ui.toggle.textContent = on ? labels.selectDone : labels.select;
  ui.bar.hidden = !on;
  if (on) refresh(); else for (const box of boxes()) box.remove();
  ui.status.textContent = on ? label("selectedCount", { count: 0 }) : "";
}

// The box chosen, and with Shift the ones between it and the last one chosen in the same list.
function choose(box, { range, on = !sel.ids.has(box.dataset.id) }) {
  const list = boxes(box.closest("#session-nav, #search-list") || els.sidebar);
  const from = range && sel.anchor && list.includes(sel.anchor) ? list.indexOf(sel.anchor) : -1;
  const to = list.indexOf(box);
  const span = from < 0 ? [box] : list.slice(Math.min(from, to), Math.max(from, to) + 1);
  setChosen(span.map((b) => b.dataset.id), on);
  sel.anchor = box;
}

function onClick(event) {
  const box = event.target.closest("input.select-box");
  if (!box) return;
  // The box has toggled itself already; its state is the one to give the range.
  choose(box, { range: event.shiftKey, on: box.checked });
}

function onKey(event) {
  if (!sel.on || event.target.closest?.("dialog")) return;
  if (event.key === "Escape") {
    event.stopPropagation(); // leaves the select mode, not the phone drawer
    selectMode(false);
    ui.toggle.focus();
    return;
  }
  const box = event.target.closest?.("input.select-box");
  if (!box) return;
  const list = boxes(box.closest("#session-nav, #search-list") || els.sidebar);
  if (event.key === " ") {
    event.preventDefault(); // chosen here, with Shift for a range, not by the box's own toggle
    if (event.type === "keydown" && !event.repeat) choose(box, { range: event.shiftKey });
  } else if (event.type === "keydown" && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
    event.preventDefault();
    const next = list[list.indexOf(box) + (event.key === "ArrowDown" ? 1 : -1)];
    if (!next) return;
    if (event.shiftKey) {
      if (!sel.anchor) choose(box, { range: false, on: true });
      choose(next, { range: true, on: true });
    }
    next.focus();
  } else if (event.type === "keydown" && event.key.toLowerCase() === "a" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    setChosen(list.map((b) => b.dataset.id), true);
  }
}

// ---- the actions -------------------------------------------------------------------------------
async function bulk(body) { return api("POST", config.urls.bulk, body); }

async function act(action, extra = {}) {
  let result;
  try {
    result = await bulk({ ids: [...sel.ids], action, ...extra });
  } catch (error) {
    showError(label("bulkFailed", { reason: error.message }));
    return;
  }
  if (action === "archive" || action === "trash") for (const id of result.changed) sessionRemove(id);
  setChosen([...sel.ids], false);
  closeSidebar(); // on a phone: the toast and its Undo are on the page the drawer covers
  const undo = result.undo.length ? () => undoAll(result.undo) : null;
  showToast(label(TOASTS[action], { chats: chats(result.done) }), { undo, focus: true });
}

// One Undo: the calls the server named, in order (a move's one per previous folder).
async function undoAll(calls) {
  try {
    for (const body of calls) await bulk(body);
    els.announce.textContent = labels.bulkUndone;
  } catch (error) {
    showError(label("undoFailed", { reason: error.message }));
  }
}

$("bulk-cancel").addEventListener("click", () => ui.dialog.close()); // returnValue "": cancelled

// Move and tag ask first: a folder (the user's, as paths "Work / Clients"), or tags' names.
async function ask(action) {
  ui.folderField.hidden = action !== "move";
  ui.tagsField.hidden = action === "move";
  ui.dialogTitle.textContent = label(`${action}Title`, { chats: chats(sel.ids.size) });
  if (action === "move") {
    try {
      await folderOptions();
    } catch (error) {
      showError(label("bulkFailed", { reason: error.message }));
      return;
    }
  } else {
    ui.tags.value = "";
  }
  ui.dialog.returnValue = "";
  ui.dialog.showModal();
  (action === "move" ? ui.folder : ui.tags).focus();
  const ok = await new Promise((resolve) => {
    ui.dialog.addEventListener("close", () => resolve(ui.dialog.returnValue === "ok"), { once: true });
  });
  if (!ok) return;
  if (action === "move") {
    await act("move", { folder: ui.folder.value || null });
    return;
  }
  const tags = ui.tags.value.split(",").map((name) => name.trim()).filter(Boolean);
  if (tags.length) await act(action, { tags });
}

async function folderOptions() {
  const folders = [];
  for (let next = config.urls.folders; next;) {
    const page = await api("GET", next);
    folders.push(...(page.results || page));
    next = page.next || null;
  }
  const byId = new Map(folders.map((folder) => [folder.id, folder]));
  const path = (folder) => (folder.parent && byId.has(folder.parent) ? `${path(byId.get(folder.parent))} / ` : "") + folder.name;
  const options = folders.map((folder) => new Option(path(folder), folder.id));
  options.sort((a, b) => a.text.localeCompare(b.text));
  ui.folder.replaceChildren(new Option(labels.noFolder, ""), ...options);
}

function onBar(event) {
  const button = event.target.closest("button[data-bulk]");
  if (!button || button.disabled) return;
  const action = button.dataset.bulk;
  if (action === "cancel") {
    selectMode(false);
    ui.toggle.focus();
  } else if (action === "move" || action === "tag" || action === "untag") {
    ask(action);
  } else {
    act(action);
  }
}

export function wireSelection() {
  if (!config.urls.folders) ui.bar.querySelector("[data-bulk=move]").hidden = true;
  ui.toggle.addEventListener("click", () => selectMode(!sel.on));
  els.sidebar.addEventListener("click", onClick);
  els.sidebar.addEventListener("keydown", onKey);
  els.sidebar.addEventListener("keyup", onKey);
  ui.bar.addEventListener("click", onBar);
  const observer = new MutationObserver(refresh);
  for (const list of [els.nav, els.searchList]) observer.observe(list, { childList: true, subtree: true });
}
