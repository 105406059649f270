// The message box: drafts kept per session, and the outbox, so that nothing typed is ever lost.
import { socket } from "./connection.js";
import { replyFinish, addPending, removePending } from "./messages.js";
import { config, els, label, showError, state } from "./page.js";

// ---- drafts: what is typed, in localStorage until sent ----------------------------------------
const draftKey = (sessionId) => `chat-draft:${config.userId}:${sessionId || "new"}`;

export function saveDraft() {
  const key = draftKey(state.sessionId);
  if (els.input.value) localStorage.setItem(key, els.input.value);
  else localStorage.removeItem(key);
}

export function restoreDraft() {
  els.input.value = localStorage.getItem(draftKey(state.sessionId)) || "";
}

// ---- the outbox: messages sent and not yet accepted by the server ------------------------------
// Kept in localStorage until the server answers send.accepted (or refuses them), and sent again
// (same client_id, so never stored twice) whenever the socket (re)opens, reloads included.
const outboxKey = `chat-outbox:${config.userId}`;

function outbox() {
  try {
    return JSON.parse(localStorage.getItem(outboxKey)) || [];
  } catch {
    return []; // unreadable (edited by hand): nothing to send again
  }
}

function outboxSave(messages) {
  if (messages.length) localStorage.setItem(outboxKey, JSON.stringify(messages));
  else localStorage.removeItem(outboxKey);
}

export function outboxPut(message) {
  outboxSave([...outbox(), message]);
}

export function outboxTake(clientId) {
  const messages = outbox();
  const message = messages.find((m) => m.client_id === clientId);
  if (message) outboxSave(messages.filter((m) => m !== message));
  return message;
}

export function sendOutbox() {
  for (const message of outbox()) socket.sendNow(message);
}

export function showUnsent() {
  const unsent = outbox().find((m) => m.type === "send" && (m.session_id || null) === state.sessionId);
  if (unsent) showSending(unsent);
}

function showSending(message) {
  state.sending = message.client_id;
  els.input.value = message.text;
  els.input.readOnly = true;
  // aria-disabled, not disabled: a focused Send keeps its focus, which Stop then takes over.
  els.send.setAttribute("aria-disabled", "true");
  els.empty.hidden = true;
  addPending(message.text, message.client_id);
}

function sendingDone() {
  state.sending = null;
  els.input.readOnly = false;
  els.send.removeAttribute("aria-disabled");
}

// Leaving the open session (New chat): a message still being sent stays in the outbox.
export function composerReset() {
  replyFinish();
  if (state.sending) {
    sendingDone();
    els.input.value = "";
  }
  saveDraft();
}

// ---- sending --------------------------------------------------------------------------------
// The box keeps the text until the server has accepted the message: a refusal (busy, rate
// limited, invalid) leaves it there with the reason, and a dropped connection sends it again.
export function sendMessage() {
  const text = els.input.value;
  if (!text.trim() || state.sending) return;
  if (state.reply) {
    showError(label("stillAnswering"));
    return;
  }
  showError("");
  const message = { type: "send", client_id: crypto.randomUUID(), text };
  if (state.sessionId) message.session_id = state.sessionId;
  else message.persona = els.persona.value;
  outboxPut(message);
  showSending(message);
  if (!socket.sendNow(message)) showError(label("notConnected"), { connection: true });
}

export function sendAccepted(clientId) {
  const message = outboxTake(clientId);
  if (message) localStorage.removeItem(draftKey(message.session_id));
  if (state.sending !== clientId) return;
  sendingDone();
  els.input.value = "";
}

export function sendRefused(clientId, reason) {
  const message = outboxTake(clientId);
  removePending(clientId);
  if (state.sending === clientId) {
    sendingDone();
    showError(reason);
    els.input.focus();
  } else if (message && !localStorage.getItem(draftKey(message.session_id))) {
    localStorage.setItem(draftKey(message.session_id), message.text); // not lost: back in its draft
  }
}
