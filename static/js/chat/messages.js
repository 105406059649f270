// The open session's messages: server-rendered pages, newer ones as they come, the streaming reply.
import { els, fragment, label, nearBottom, scrollToBottom, showError, state, url, viewParam } from "./page.js";

function parse(html) {
  const template = document.createElement("template");
  template.innerHTML = html; // server-rendered: escaped text, sanitized Markdown
  return [...template.content.querySelectorAll("li.message")];
}

export function appendHTML(html) {
  const stick = nearBottom();
  for (const item of parse(html)) {
    const seq = Number(item.dataset.seq);
    if (els.list.querySelector(`li.message[data-seq="${seq}"]`)) continue;
    els.list.querySelectorAll("li.pending").forEach((p) => p.remove());
    els.list.append(item);
    state.lastSeq = Math.max(state.lastSeq, seq);
    if (state.firstSeq === null) state.firstSeq = seq;
  }
  if (stick) scrollToBottom();
}

// Fetch what is newer than the last message shown, page by page. Every call while a fetch is out
// shares one more fetch after it: a save of 1,000 messages sends 1,000 utterance events, and that
// is two requests, not 1,000.
export function catchUp() {
  // Opened at a message with newer ones not shown yet: they load on scroll (loadNewer).
  if (!state.sessionId || state.hasNewer) return Promise.resolve();
  if (state.catchingUp) {
    state.catchUpNext ??= state.catchingUp.then(() => { state.catchUpNext = null; return catchUp(); });
    return state.catchUpNext;
  }
  const sessionId = state.sessionId;
  state.catchingUp = (async () => {
    for (;;) { // pages of 200 until the newest
      const { html, headers } = await fragment(url.messages(sessionId, `after=${state.lastSeq}&limit=200${viewParam()}`));
      if (sessionId !== state.sessionId) return;
      if (html) appendHTML(html);
      if (headers.get("X-Has-After") !== "1") return;
    }
  })()
    .catch((error) => showError(label("newestFailed", { reason: error.message })))
    .finally(() => { state.catchingUp = null; });
  return state.catchingUp;
}

// The head moved to another branch (an edit, a regeneration or a switch, here or in another tab):
// the newest page of the branch now active replaces what is shown.
export async function reloadMessages() {
  const sessionId = state.sessionId;
  if (!sessionId) return;
  try {
    const { html, headers } = await fragment(url.messages(sessionId, "limit=50"));
    if (sessionId !== state.sessionId) return;
    // The active branch's newest page: a page opened at a message is back at the end of the chat.
    state.leaf = null;
    state.hasNewer = false;
    els.newer.hidden = true;
    els.landingBanner.hidden = true;
    const items = parse(html);
    els.list.replaceChildren(...items);
    state.firstSeq = items.length ? Number(items[0].dataset.seq) : null;
    state.lastSeq = items.length ? Number(items[items.length - 1].dataset.seq) : 0;
    state.hasOlder = headers.get("X-Has-Before") === "1";
    els.older.hidden = !state.hasOlder;
    scrollToBottom();
  } catch (error) {
    showError(label("newestFailed", { reason: error.message }));
  }
}

export async function loadOlder() {
  if (!state.sessionId || !state.hasOlder || state.loadingOlder) return;
  state.loadingOlder = true;
  try {
    const { html, headers } = await fragment(url.messages(state.sessionId, `before=${state.firstSeq}&limit=50${viewParam()}`));
    const items = parse(html);
    const previousHeight = els.messages.scrollHeight;
    els.list.prepend(...items);
    els.messages.scrollTop += els.messages.scrollHeight - previousHeight;
    if (items.length) state.firstSeq = Number(items[0].dataset.seq);
    state.hasOlder = headers.get("X-Has-Before") === "1";
    els.older.hidden = !state.hasOlder;
  } catch (error) {
    showError(label("olderFailed", { reason: error.message }));
  } finally {
    state.loadingOlder = false;
  }
}

// Opened at a message: the next page after the newest one shown, as the list's end comes into view.
export async function loadNewer() {
  if (!state.sessionId || !state.hasNewer || state.loadingNewer) return;
  state.loadingNewer = true;
  try {
    const { html, headers } = await fragment(url.messages(state.sessionId, `after=${state.lastSeq}&limit=50${viewParam()}`));
    const items = parse(html);
    for (const item of items) {
      if (!els.list.querySelector(`li.message[data-seq="${item.dataset.seq}"]`)) els.list.append(item);
    }
    if (items.length) state.lastSeq = Number(items[items.length - 1].dataset.seq);
    state.hasNewer = headers.get("X-Has-After") === "1";
    els.newer.hidden = !state.hasNewer;
  } catch (error) {
    showError(label("newerFailed", { reason: error.message }));
  } finally {
    state.loadingNewer = false;
  }
}

// The message just sent, shown until the server's copy of it arrives.
export function addPending(text, clientId) {
  const item = els.messageTemplate.content.firstElementChild.cloneNode(true);
  item.classList.add("pending");
  item.removeAttribute("data-seq");
  item.dataset.clientId = clientId;
  item.querySelector("p.plain").textContent = text;
  els.list.append(item);
  scrollToBottom();
}

export function removePending(clientId) {
  els.list.querySelector(`li.pending[data-client-id="${CSS.escape(clientId)}"]`)?.remove();
}

export function replyBegin(text = "") {
  state.reply = { text };
  els.streamingText.textContent = text;
  els.streaming.hidden = false;
  showBusy(true);
  scrollToBottom();
}

export function replyDelta(offset, text) {
  if (!state.reply) replyBegin();
  if (offset !== state.reply.text.length) return; // already have it, or a gap the end will mend
  const stick = nearBottom();
  state.reply.text += text;
  els.streamingText.textContent = state.reply.text;
  if (stick) scrollToBottom();
}

export function replyFinish() {
  state.reply = null;
  els.streaming.hidden = true;
  els.streamingText.textContent = "";
  showBusy(false);
  if (els.error.textContent === label("stillAnswering")) showError(""); // said while it answered
}

// While a reply runs, Stop takes Send's place (and its focus); after it, the focus is the box's.
function showBusy(busy) {
  const hadFocus = document.activeElement === (busy ? els.send : els.stop);
  els.send.hidden = busy;
  els.stop.hidden = !busy;
  if (hadFocus) (busy ? els.stop : els.input).focus();
}
