// "Earlier in this chat" (docs/context.md "Summaries"): the summary of the chat up to a recent point
// (made ahead, it may cover some of the messages the model still sees whole), shown above the first
// message the model sees (GET .../context/: summary and first_seq), or
// at the top of the loaded messages when that one is not loaded. Collapsed at first; its owner edits
// it (PUT .../context/summary/). Redrawn on the socket's context.changed (live.js) and, in a chat
// that has one, after messages arrive (the window moves on).
import { onContext, refreshContext } from "./context.js";
import { $, api, config, els, label, labels, state } from "./page.js";

const withId = (template, id) => template.replace(config.idPlaceholder, id);
// `over`: the point of the summary the editor was opened on, sent with the save (a newer one made
// meanwhile is a 409, and the person sees it before their text replaces it).
const shown = { sessionId: null, summary: null, firstSeq: null, editing: false, over: null };
let element = null;
let refreshTimer = null;

function build() {
  const item = document.createElement("li");
  item.className = "context-summary";
  item.id = "context-summary";
  item.innerHTML = `
    <details>
      <summary><span class="context-summary-heading"></span> <span class="context-summary-count muted small"></span></summary>
      <div class="context-summary-body">
        <p class="context-summary-text"></p>
        <p class="context-summary-facts muted small"></p>
        <button type="button" class="link-button small context-summary-edit"></button>
        <form class="context-summary-form" hidden>
          <p class="field">
            <label for="context-summary-input"></label>
            <textarea id="context-summary-input" rows="6" aria-describedby="context-summary-hint"></textarea>
            <span id="context-summary-hint" class="muted small"></span>
          </p>
          <p class="context-summary-error form-errors" role="alert" hidden></p>
          <div class="context-summary-actions">
            <button type="submit" class="button primary context-summary-save"></button>
            <button type="button" class="button context-summary-cancel"></button>
          </div>
        </form>
      </div>
    </details>
    <p class="visually-hidden context-summary-status" aria-live="polite"></p>`;
  const inside = (name) => item.querySelector(`.context-summary-${name}`);
  inside("heading").textContent = labels.summaryHeading;
  inside("edit").textContent = labels.summaryEdit;
  item.querySelector("label").textContent = labels.summaryField;
  item.querySelector("#context-summary-hint").textContent = labels.summaryHint;
  inside("save").textContent = labels.summarySave;
  inside("cancel").textContent = labels.summaryCancel;
  inside("edit").addEventListener("click", openEditor);
  inside("cancel").addEventListener("click", () => closeEditor());
  inside("form").addEventListener("submit", (event) => { event.preventDefault(); save(); });
  inside("form").addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); closeEditor(); }
  });
  return item;
}

const part = (name) => element.querySelector(`.context-summary-${name}`);

function render() {
  const summary = shown.summary;
  // Another version of the chat shown (a page opened at a message, docs/landing.md): the summary is
  // the active branch's, not this one's.
  if (!summary || !state.sessionId || state.leaf !== null) {
    element?.remove();
    return;
  }
  element ??= build();
  part("text").textContent = summary.text;
  part("facts").textContent = whoWrote(summary);
  place();
  const pending = pendingAbove(summary);
  part("count").textContent = label(
    pending === 0 ? "summaryCovers" : pending === 1 ? "summaryCoversPendingOne" : "summaryCoversPending",
    { count: summary.messages, pending },
  );
}

function whoWrote(summary) {
  if (summary.edited_at) return labels.summaryEdited;
  return summary.made_by === "offline" ? labels.summaryExtracted : labels.summaryMade;
}

// The loaded messages between the summary's point and the block: in neither the summary nor the
// prompt, until the next summary (a burst of long messages pushes them out before it is made).
function pendingAbove(summary) {
  const seqs = [...els.list.querySelectorAll("li.message[data-seq]")].map((li) => Number(li.dataset.seq));
  return seqs.filter((seq) => seq > summary.seq && seq < shown.firstSeq).length;
}

// Above the window's first message, or at the top of the loaded messages when it is not loaded.
function place() {
  if (!element || !shown.summary || state.leaf !== null) return;
  const first = els.list.querySelector(`li.message[data-seq="${shown.firstSeq}"]`);
  // Moving an element takes the focus off what it holds: it goes back where it was.
  const focused = element.contains(document.activeElement) ? document.activeElement : null;
  if (first) {
    if (element.nextElementSibling !== first) els.list.insertBefore(element, first);
  } else if (els.list.firstElementChild !== element) {
    els.list.prepend(element);
  }
  if (focused && document.activeElement !== focused) focused.focus({ preventScroll: true });
}

// The summary and the window's first message, as the next reply's model sees them (context.js).
function showContext(context, sessionId) {
  shown.sessionId = sessionId;
  shown.firstSeq = context.first_seq;
  // An edit in progress keeps its text; the summary under it is the newest one.
  shown.summary = context.summary;
  if (!shown.editing) render();
}

// The gauge's "earlier messages summarized" leads here: the block opened, its disclosure focused.
$("context-gauge-summary").addEventListener("click", (event) => {
  if (!element?.isConnected) return;
  event.preventDefault();
  element.querySelector("details").open = true;
  element.scrollIntoView({ block: "start" });
  element.querySelector("summary").focus({ preventScroll: true });
});

export function refreshSummary() {
  return refreshContext();
}

function openEditor() {
  shown.editing = true;
  element.classList.add("editing");
  part("form").hidden = false;
  part("edit").hidden = true;
  part("text").hidden = true;
  part("error").hidden = true;
  const input = $("context-summary-input");
  input.value = shown.summary.text;
  shown.over = shown.summary.seq;
  input.focus();
}

function closeEditor({ message = "" } = {}) {
  shown.editing = false;
  element.classList.remove("editing");
  part("form").hidden = true;
  part("edit").hidden = false;
  part("text").hidden = false;
  render();
  part("edit").focus();
  if (message) say(message);
}

function say(message) {
  const status = part("status");
  status.textContent = "";
  requestAnimationFrame(() => { status.textContent = message; });
}

async function save() {
  const button = part("save");
  button.disabled = true;
  try {
    const text = $("context-summary-input").value;
    const body = { text, seq: shown.over };
    shown.summary = await api("PUT", withId(config.urls.contextSummary, state.sessionId), body);
    closeEditor({ message: labels.summarySaved });
  } catch (error) {
    if (error.status === 409 && error.answer?.summary) {
      showSuperseding(error.answer.summary);
    } else {
      // The API names the field ("text: ..."): the person editing it needs the reason only.
      part("error").textContent = label("summaryFailed", { reason: error.message.replace(/^text: /, "") });
    }
    part("error").hidden = false;
    $("context-summary-input").focus();
  } finally {
    button.disabled = false;
  }
}

// A newer summary was made while the editor was open: shown above it, the person's text kept; a
// second Save puts the text in its place, Cancel keeps it.
function showSuperseding(newer) {
  shown.summary = newer;
  shown.over = newer.seq;
  part("text").textContent = newer.text;
  part("text").hidden = false;
  part("count").textContent = label("summaryCovers", { count: newer.messages });
  part("facts").textContent = whoWrote(newer);
  part("error").textContent = label("summarySuperseded", { count: newer.messages });
}

// The list changed (messages loaded, a branch shown, a chat cleared, a new chat): the block goes
// back in its place; messages arriving in a chat with a summary, or a branch shown in place of
// another, move the window: the context is read again once they settle.
const isMessage = (node) => node.classList?.contains("message") && !node.classList.contains("pending");

function onListChange(records) {
  if (shown.sessionId !== state.sessionId || !els.list.querySelector("li.message")) {
    const changed = shown.sessionId !== state.sessionId;
    shown.sessionId = state.sessionId;
    shown.summary = null;
    shown.editing = false;
    element?.remove();
    element = null;
    if (changed && state.sessionId) refreshSummary();
    return;
  }
  place();
  const arrived = records.some((r) => [...r.addedNodes].some(isMessage));
  const replaced = records.some((r) => [...r.removedNodes].some(isMessage));
  if ((arrived && shown.summary) || replaced) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshSummary, 1000);
  }
}

export function initSummary() {
  shown.sessionId = state.sessionId;
  onContext(showContext);
  new MutationObserver(onListChange).observe(els.list, { childList: true });
  refreshSummary();
}
