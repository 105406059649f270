// The open session's header and actions: show, new chat, rename, delete, clear.
import { composerReset, restoreDraft } from "./composer.js";
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
export function toggleActions(open = els.actionsMenu.hidden) {
  els.actionsMenu.hidden = !open;
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
    showToast(labels.archivedToast, () => move({ archived: false }, id));
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
  const finish = async (save) => {
    if (done) return;
    done = true;
    els.title.textContent = current;
    if (!save || field.value.trim() === current) return;
    try {
      const session = await api("PATCH", url.session(state.sessionId), { title: field.value.trim() });
      showTitle(session.title);
      upsertSession(session, { toTop: false });
    } catch (error) {
      showError(error.message);
    }
    els.actionsToggle.focus();
  };
  field.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); finish(true); }
    if (event.key === "Escape") { event.preventDefault(); finish(false); }
  });
  field.addEventListener("blur", () => finish(true));
}

// Delete moves the chat to the trash at once, with a few seconds to take it back ("Undo"); the trash
// page restores it later, until TRASH_RETENTION_DAYS.
const UNDO_MS = 8000;
let toastTimer = null;

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
  showToast(labels.movedToTrash, async () => {
    try {
      await api("POST", url.restore(id));
      location.assign(url.chat(id));
    } catch (error) {
      showError(label("restoreFailed", { reason: error.message }));
    }
  });
}

function showToast(text, undo) {
  clearTimeout(toastTimer);
  els.toastText.textContent = text;
  els.toast.hidden = false;
  els.toastUndo.onclick = () => { hideToast(); undo(); };
  toastTimer = setTimeout(hideToast, UNDO_MS);
}

function hideToast() {
  els.toast.hidden = true;
  els.toastUndo.onclick = null;
}

export async function clearChat() {
  const ok = await confirmAction({
    title: labels.clearTitle, text: labels.clearText, ok: labels.clearOk,
  });
  if (!ok) return;
  try {
    await api("POST", url.clear(state.sessionId));
    els.list.replaceChildren();
  } catch (error) {
    showError(error.message);
  }
}
