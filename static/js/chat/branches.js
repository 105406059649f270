// A message's own actions (docs/branches.md): Edit in place, Regenerate, Copy, its alternatives
// ("< 2/3 >") and Branch into new chat. An edit or a regeneration goes through the outbox as a sent
// message does (sent again, same client_id, after a reconnect), and the text of an edit stays in
// localStorage until the server has stored it: a reload, a dropped connection or another tab's
// change of branch never loses it.
import { outboxPut, outboxTake } from "./composer.js";
import { socket } from "./connection.js";
import { loadOlder, reloadMessages } from "./messages.js";
import { api, config, els, label, labels, showError, state, url } from "./page.js";
import { rememberFork } from "./session.js";

// How many older pages a switch loads to show the message it was made from.
const FOCUS_MAX_PAGES = 10;

const editKey = (sessionId) => `chat-edit:${config.userId}:${sessionId}`;

function editDraft(sessionId) {
  try {
    return JSON.parse(localStorage.getItem(editKey(sessionId)));
  } catch {
    return null; // unreadable (edited by hand): nothing to restore
  }
}

export function announce(text) {
  els.announce.textContent = "";
  els.announce.textContent = text;
}

export function onMessageClick(event) {
  const button = event.target.closest("button.tool");
  if (!button || button.disabled || !state.sessionId) return;
  const item = button.closest("li.message");
  const actions = {
    edit: () => openEditor(item),
    regenerate: () => regenerate(item, button),
    copy: () => copy(item, button),
    fork: () => fork(Number(item.dataset.seq)),
    switch: () => switchTo(Number(button.dataset.target), button),
  };
  actions[button.dataset.action]?.();
}

// ---- edit ------------------------------------------------------------------------------------
export function openEditor(item, text = null) {
  const open = els.list.querySelector("form.edit-form");
  if (open) {
    open.querySelector("textarea").focus(); // one edit at a time
    return;
  }
  const seq = Number(item.dataset.seq);
  const form = els.editTemplate.content.firstElementChild.cloneNode(true);
  const field = form.querySelector("textarea");
  form.dataset.original = item.querySelector(".message-body").textContent;
  field.value = text ?? form.dataset.original;
  field.maxLength = config.maxChars;
  item.classList.add("editing");
  item.append(form);
  const keep = () => localStorage.setItem(editKey(state.sessionId), JSON.stringify({ seq, text: field.value }));
  keep();
  field.addEventListener("input", keep);
  field.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); closeEditor(item); }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); submitEdit(item, form); }
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); submitEdit(item, form); });
  form.querySelector("[data-action=cancel]").addEventListener("click", () => closeEditor(item));
  field.focus();
  field.setSelectionRange(field.value.length, field.value.length);
}

function closeEditor(item, { keepDraft = false } = {}) {
  item.querySelector("form.edit-form")?.remove();
  item.classList.remove("editing");
  if (!keepDraft) localStorage.removeItem(editKey(state.sessionId));
  item.querySelector('button[data-action="edit"]')?.focus();
}

function editorBusy(form, busy) {
  form.querySelector("textarea").readOnly = busy;
  for (const button of form.querySelectorAll("button")) button.disabled = busy;
}

function submitEdit(item, form) {
  const text = form.querySelector("textarea").value;
  if (!text.trim() || form.dataset.clientId) return;
  if (text === form.dataset.original) {
    closeEditor(item); // nothing changed: no new alternative of the same words
    return;
  }
  if (state.reply) {
    showError(label("stillAnswering"));
    return;
  }
  showError("");
  const message = {
    type: "edit", session_id: state.sessionId, seq: Number(item.dataset.seq), text, client_id: crypto.randomUUID(),
  };
  outboxPut(message);
  form.dataset.clientId = message.client_id;
  editorBusy(form, true);
  if (!socket.sendNow(message)) showError(label("notConnected"), { connection: true });
}

// Shown again after the page's messages were replaced (a change of branch, a reload).
export function restoreEditor() {
  const draft = state.sessionId && editDraft(state.sessionId);
  if (!draft || els.list.querySelector("form.edit-form")) return;
  const item = els.list.querySelector(`li.message.user[data-seq="${draft.seq}"]`);
  if (item) openEditor(item, draft.text);
}

// ---- regenerate ------------------------------------------------------------------------------
function regenerate(item, button) {
  if (state.reply) {
    showError(label("stillAnswering"));
    return;
  }
  showError("");
  const message = {
    type: "regenerate", session_id: state.sessionId, seq: Number(item.dataset.seq), client_id: crypto.randomUUID(),
  };
  outboxPut(message);
  button.disabled = true;
  button.dataset.clientId = message.client_id;
  if (!socket.sendNow(message)) showError(label("notConnected"), { connection: true });
}

// ---- the server's answers to an edit or a regeneration -----------------------------------------
export function branchAccepted(clientId) {
  const message = outboxTake(clientId);
  if (message?.type === "edit") {
    const draft = editDraft(message.session_id);
    if (draft && draft.seq === message.seq) localStorage.removeItem(editKey(message.session_id));
    const form = els.list.querySelector(`form.edit-form[data-client-id="${CSS.escape(clientId)}"]`);
    if (form) closeEditor(form.closest("li.message"), { keepDraft: true });
  }
}

export function branchRefused(clientId, reason) {
  outboxTake(clientId);
  const form = els.list.querySelector(`form.edit-form[data-client-id="${CSS.escape(clientId)}"]`);
  if (form) {
    delete form.dataset.clientId;
    editorBusy(form, false);
    form.querySelector("textarea").focus();
  }
  const button = els.list.querySelector(`button[data-client-id="${CSS.escape(clientId)}"]`);
  if (button) {
    delete button.dataset.clientId;
    button.disabled = false;
  }
  showError(reason);
}

// ---- alternatives ----------------------------------------------------------------------------
function switchTo(target, button) {
  if (state.reply) {
    showError(label("stillAnswering"));
    return;
  }
  showError("");
  state.switchFocus = { seq: target, control: button.getAttribute("aria-label") };
  socket.send({ type: "switch", session_id: state.sessionId, seq: target });
}

// The head moved (here or elsewhere): the newest page of the branch now active, then the message a
// switch was made from, in view with its alternatives' control focused and announced.
export async function followHead() {
  const focus = state.switchFocus;
  state.switchFocus = null;
  const focusInList = els.list.contains(document.activeElement);
  await reloadMessages();
  // An edit's Save (or its message's Edit) went with the page replaced: the box, as after a send.
  if (focusInList && !focus && !els.list.contains(document.activeElement)) els.input.focus();
  if (focus) {
    let pages = 0;
    while (state.firstSeq !== null && focus.seq < state.firstSeq && state.hasOlder && pages < FOCUS_MAX_PAGES) {
      await loadOlder();
      pages += 1;
    }
    const item = els.list.querySelector(`li.message[data-seq="${focus.seq}"]`);
    if (item) {
      item.scrollIntoView({ block: "center" });
      const controls = [...item.querySelectorAll('.siblings button[data-action="switch"]')];
      const same = controls.find((b) => b.getAttribute("aria-label") === focus.control && !b.disabled);
      (same || controls.find((b) => !b.disabled))?.focus();
      announce(item.querySelector(".siblings .visually-hidden")?.textContent || "");
    }
  }
  restoreEditor();
}

// ---- copy and fork ---------------------------------------------------------------------------
async function copy(item, button) {
  // The stored text (a reply's Markdown source), fetched inside the click's clipboard write.
  const seq = Number(item.dataset.seq);
  const text = api("GET", url.utterances(state.sessionId, `after=${seq - 1}&limit=1&branches=all`))
    .then((body) => body.results[0]?.text ?? "");
  try {
    if (window.ClipboardItem) {
      const blob = text.then((value) => new Blob([value], { type: "text/plain" }));
      await navigator.clipboard.write([new ClipboardItem({ "text/plain": blob })]);
    } else {
      await navigator.clipboard.writeText(await text);
    }
    button.textContent = labels.copied;
    announce(labels.copied);
    setTimeout(() => { button.textContent = labels.copy; }, 2000);
  } catch (error) {
    showError(label("copyFailed", { reason: error.message }));
  }
}

async function fork(seq) {
  try {
    const session = await api("POST", url.fork(state.sessionId), { seq });
    rememberFork({ id: session.id, from: state.sessionId, title: els.title.textContent });
    location.assign(url.chat(session.id));
  } catch (error) {
    showError(error.message);
  }
}
