// The open session's header and actions: show, new chat, rename, delete, clear.
import { composerReset, restoreDraft } from "./composer.js";
import { hideGauge } from "./gauge.js";
import { socket } from "./connection.js";
import { NEW_CHAT, $, api, closeSidebar, confirmAction, els, label, labels, showError, state, url } from "./page.js";
import { markCurrent, placeSession, sessionRemove, upsertSession } from "./sidebar.js";

export function showSession(summary) {
  state.sessionId = summary.id;
  showTitle(summary.title);
  showLifecycle({ pinned: Boolean(summary.pinned_at), archived: Boolean(summary.archived_at) });
  els.actions.hidden = false;
  els.empty.hidden = true;
  els.exportJson.href = url.export(summary.id, "json");
  els.exportMd.href = url.export(summary.id, "markdown");
  markCurrent();
}

// The open session's pin and archive, as the menu offers them.
export function showLifecycle({ pinned, archived }) {
  state.pinned = pinned;
  state.archived = archived;
  els.pin.textContent = pinned ? labels.unpin : labels.pin;
  els.archive.textContent = archived ? labels.unarchive : labels.archive;
}

// "Chat actions": a disclosure holding the chat's actions; Escape or a click elsewhere closes it.
// Closed with the focus inside (an action chosen, Escape), it takes the focus back to its button.
// Open, it covers part of the conversation, which is inert meanwhile: a click there only closes the
// menu, never presses a message's half-hidden button.
export function toggleActions(open = els.actionsMenu.hidden) {
  if (!open && els.actionsMenu.contains(document.activeElement)) els.actionsToggle.focus();
  els.actionsMenu.hidden = !open;
  els.messages.inert = open;
  els.actionsToggle.setAttribute("aria-expanded", String(open));
  if (open) els.actionsMenu.querySelector(".menu-item")?.focus();
}

export async function togglePin() {
  await move({ pinned: !state.pinned });
}

export async function toggleArchive() {
  const archiving = !state.archived;
  const id = state.sessionId;
  if (await move({ archived: archiving }) && archiving) {
    showToast(labels.archivedToast, { undo: () => move({ archived: false }, id), focus: true });
  }
}

async function move(change, id = state.sessionId) {
  try {
    const session = await api("PATCH", url.session(id), change);
    if (session.id === state.sessionId) {
      showLifecycle({ pinned: Boolean(session.pinned_at), archived: Boolean(session.archived_at) });
    }
    placeSession(session);
    return true;
  } catch (error) {
    showError(error.message);
    return false;
  }
}

export function showTitle(title) {
  if (els.title.querySelector("input")) return; // being renamed: the field keeps what is typed
  els.title.textContent = title || NEW_CHAT;
  document.title = `${title || NEW_CHAT} · Chat`;
}

export function newChat({ push = true } = {}) {
  if (state.reply && state.sessionId) socket.send({ type: "stop", session_id: state.sessionId });
  composerReset();
  state.sessionId = null;
  state.firstSeq = null;
  state.lastSeq = 0;
  state.hasOlder = false;
  els.list.replaceChildren();
  els.older.hidden = true;
  showTitle("");
  els.personaName.textContent = "";
  hideGauge();
  els.actions.hidden = true;
  toggleActions(false);
  els.empty.hidden = false;
  if (push) history.pushState({}, "", url.home);
  markCurrent();
  restoreDraft();
  closeSidebar();
  els.input.focus();
}

export function startRename() {
  if (!state.sessionId || els.title.querySelector("input")) return;
  const current = els.title.textContent;
  const field = document.createElement("input");
  field.value = current === NEW_CHAT ? "" : current;
  field.maxLength = 200;
  field.setAttribute("aria-label", labels.chatTitle);
  field.className = "rename-field";
  els.title.replaceChildren(field);
  field.focus();
  field.select();
  let done = false;
  // refocus: the field had the focus (Enter, Escape), which would fall to the body with it gone.
  const finish = async (save, { refocus = true } = {}) => {
    if (done) return;
    done = true;
    els.title.textContent = current;
    if (refocus) els.actionsToggle.focus();
    if (!save || field.value.trim() === current) return;
    try {
      const session = await api("PATCH", url.session(state.sessionId), { title: field.value.trim() });
      showTitle(session.title);
      upsertSession(session, { toTop: false });
    } catch (error) {
      showError(error.message);
    }
  };
  field.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); finish(true); }
    if (event.key === "Escape") { event.preventDefault(); finish(false); }
  });
  // Left for another control (Tab, a click): saved, and the focus stays where it went.
  field.addEventListener("blur", (event) => finish(true, { refocus: !event.relatedTarget }));
}

// Delete moves the chat to the trash at once, with a few seconds to take it back ("Undo"); the trash
// page restores it later, until TRASH_RETENTION_DAYS.
export async function deleteChat() {
  const id = state.sessionId;
  try {
    await api("DELETE", url.session(id));
  } catch (error) {
    showError(error.message);
    return;
  }
  sessionRemove(id);
  newChat();
  const undo = async () => {
    try {
      await api("POST", url.restore(id));
      location.assign(url.chat(id));
    } catch (error) {
      showError(label("restoreFailed", { reason: error.message }));
    }
  };
  showToast(labels.movedToTrash, { undo, focus: true });
}

// ---- the toast: a notice with Undo (Delete, Archive) or a link (a fork) -----------------------
// Undo takes the focus (the menu item chosen is gone); the toast stays while it has the focus or
// the pointer, else goes after UNDO_MS, and the focus inside it then goes to the message box.
// Ctrl+Z / Cmd+Z outside a text field is its Undo while it shows, and only then: a chat deleted
// earlier is the trash page's to restore, not a key's that could surprise.
const UNDO_MS = 8000;
const ANNOUNCE_DELAY_MS = 100; // the text is set once the region shows, so that it is announced
const toast = { timer: null, textTimer: null, undo: null, focused: false, hovered: false };
const onMac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

export function showToast(text, { undo = null, link = null, focus = false } = {}) {
  clearTimeout(toast.textTimer);
  toast.undo = undo;
  els.toastText.textContent = "";
  els.toastUndo.hidden = !undo;
  els.toastHint.hidden = !undo;
  els.toastHint.textContent = label("undoHint", { keys: onMac ? labels.undoKeysMac : labels.undoKeys });
  els.toastLink.hidden = !link;
  if (link) {
    els.toastLink.href = link.href;
    els.toastLink.textContent = link.text;
  }
  els.toast.hidden = false;
  toast.textTimer = setTimeout(() => { els.toastText.textContent = text; }, ANNOUNCE_DELAY_MS);
  if (focus && undo) els.toastUndo.focus();
  holdOrHide();
}

function holdOrHide() {
  clearTimeout(toast.timer);
  if (!els.toast.hidden && !toast.focused && !toast.hovered) toast.timer = setTimeout(hideToast, UNDO_MS);
}

function hideToast() {
  clearTimeout(toast.timer);
  const hadFocus = els.toast.contains(document.activeElement);
  els.toast.hidden = true;
  toast.undo = null;
  toast.focused = false;
  toast.hovered = false;
  if (hadFocus) els.input.focus();
}

// The toast's Undo, if it shows one; false when there is nothing to undo.
export function undoToast() {
  const undo = toast.undo;
  if (!undo) return false;
  hideToast();
  undo();
  return true;
}

function typing(target) {
  if (target instanceof HTMLTextAreaElement || target.isContentEditable) return true;
  return target instanceof HTMLInputElement
    && !["button", "checkbox", "color", "file", "radio", "range", "reset", "submit"].includes(target.type);
}

// Ctrl+Z / Cmd+Z: the toast's Undo, except in a text field, whose own undo keeps working.
export function onUndoKey(event) {
  if ((event.key || "").toLowerCase() !== "z" || !(event.ctrlKey || event.metaKey) || event.shiftKey || event.altKey) return;
  if (typing(event.target)) return;
  if (undoToast()) event.preventDefault();
}

els.toastUndo.addEventListener("click", undoToast);
els.toast.addEventListener("focusin", () => { toast.focused = true; holdOrHide(); });
els.toast.addEventListener("focusout", (event) => {
  if (els.toast.contains(event.relatedTarget)) return;
  toast.focused = false;
  holdOrHide();
});
els.toast.addEventListener("mouseenter", () => { toast.hovered = true; holdOrHide(); });
els.toast.addEventListener("mouseleave", () => { toast.hovered = false; holdOrHide(); });
els.toast.addEventListener("keydown", (event) => {
  if (event.key === "Escape") { event.stopPropagation(); hideToast(); }
});

// ---- a fork: the new chat opens with a toast naming the original, linked --------------------
const forkKey = "chat-forked";

export function rememberFork({ id, from, title }) {
  sessionStorage.setItem(forkKey, JSON.stringify({ id, from, title }));
}

export function showForkNote() {
  let note = null;
  try {
    note = JSON.parse(sessionStorage.getItem(forkKey));
  } catch { /* unreadable: no note */ }
  sessionStorage.removeItem(forkKey);
  const chatId = /^[0-9a-f-]{36}$/; // the original is a chat of this site's, nothing else
  if (!note || note.id !== state.sessionId || !chatId.test(note.from)) return;
  showToast(label("branchedFrom", { title: note.title }), { link: { href: url.chat(note.from), text: labels.openOriginal } });
}

export async function clearChat() {
  const ok = await confirmAction({
    title: labels.clearTitle, text: labels.clearText, ok: labels.clearOk,
  });
  els.actionsToggle.focus(); // the dialog's opener, a menu item, is hidden now
  if (!ok) return;
  try {
    await api("POST", url.clear(state.sessionId));
    els.list.replaceChildren();
  } catch (error) {
    showError(error.message);
  }
}
