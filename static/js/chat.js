// The chat page: one WebSocket (docs/websocket.md), server-rendered HTML fragments for messages
// and sidebar pages, and nothing typed ever lost (drafts and the outbox live in localStorage).
// Each part has a module of its own in ./chat/: page (elements, state, helpers, the phone drawer),
// messages, sidebar, search (message hits, next/previous), landing (a page opened at a message), session (header, actions, the toast and its Undo), composer (drafts, outbox, sending), branches
// (a message's own actions: edit, regenerate, copy, alternatives, fork), connection (the socket
// they send through), live (what the socket's events do). This one wires them to the page.
import { onMessageClick, restoreEditor } from "./chat/branches.js";
import { restoreDraft, saveDraft, sendMessage, showUnsent } from "./chat/composer.js";
import { socket } from "./chat/connection.js";
import { connect } from "./chat/live.js";
import { continueHere, land, toTheEnd } from "./chat/landing.js";
import { loadNewer, loadOlder } from "./chat/messages.js";
import { $, closeSidebar, els, onDrawerClick, onDrawerKey, openSidebar, scrollToBottom, state } from "./chat/page.js";
import {
  clearChat, deleteChat, newChat, onUndoKey, showForkNote, startRename, toggleActions, toggleArchive, togglePin,
} from "./chat/session.js";
import { goToHit, onSearchInput, onSearchKey, restoreSearch, runSearch } from "./chat/search.js";
import { loadMorePinned, loadMoreSessions } from "./chat/sidebar.js";
import { initShare } from "./chat/share.js";
import { initSummary } from "./chat/summary.js";
import { initTags } from "./chat/tags.js";
import { wireSelection } from "./chat/selection.js";

els.form.addEventListener("submit", (event) => { event.preventDefault(); toTheEnd().then(sendMessage); });
els.input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    toTheEnd().then(sendMessage);
  }
});
els.input.addEventListener("input", saveDraft);
els.stop.addEventListener("click", () => { if (state.sessionId) socket.send({ type: "stop", session_id: state.sessionId }); });
$("new-chat").addEventListener("click", () => newChat());
els.list.addEventListener("click", onMessageClick);
els.actionsToggle.addEventListener("click", () => toggleActions());
// An action chosen closes the menu first (Rename's field, a dialog or a toast takes the focus).
els.actionsMenu.addEventListener("click", (event) => { if (event.target.closest(".menu-item")) toggleActions(false); });
els.actionsMenu.addEventListener("keydown", (event) => {
  if (event.key === "Escape") { event.stopPropagation(); toggleActions(false); els.actionsToggle.focus(); }
  // The arrows, Home and End move through the items too, as people expect of a list of actions.
  const items = [...els.actionsMenu.querySelectorAll(".menu-item")];
  const at = items.indexOf(document.activeElement);
  const next = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[event.key];
  if (next !== undefined) { event.preventDefault(); items[(next + items.length) % items.length].focus(); }
});
document.addEventListener("click", (event) => {
  if (!els.actionsMenu.hidden && !event.target.closest("#chat-actions")) toggleActions(false);
});
$("rename").addEventListener("click", startRename);
els.pin.addEventListener("click", togglePin);
els.archive.addEventListener("click", toggleArchive);
$("delete").addEventListener("click", deleteChat);
$("clear").addEventListener("click", clearChat);
els.pinnedMore.addEventListener("click", loadMorePinned);
els.search.addEventListener("input", onSearchInput);
els.search.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && els.search.value) { event.stopPropagation(); els.search.value = ""; runSearch(); }
});
els.search.addEventListener("keydown", onSearchKey);
els.hitNext.addEventListener("click", () => goToHit(1, "next"));
els.hitPrev.addEventListener("click", () => goToHit(-1, "prev"));
els.landingContinue.addEventListener("click", continueHere);
for (const button of document.querySelectorAll("button.sample")) {
  button.addEventListener("click", () => { els.input.value = button.textContent; saveDraft(); els.input.focus(); });
}
els.toggleSidebar.addEventListener("click", openSidebar);
$("close-sidebar").addEventListener("click", () => { closeSidebar(); els.toggleSidebar.focus(); });
document.addEventListener("keydown", onDrawerKey);
document.addEventListener("click", onDrawerClick);
document.addEventListener("keydown", onUndoKey);
window.addEventListener("popstate", () => location.reload());

new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) loadMoreSessions(); })
  .observe(els.more);
new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) loadOlder(); },
  { root: els.messages }).observe(els.older);
new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) loadNewer(); },
  { root: els.messages }).observe(els.newer);

wireSelection();
restoreDraft();
showUnsent();
restoreEditor();
if (!land()) scrollToBottom();
connect();
els.input.focus();
restoreSearch();
showForkNote();
initTags();
initShare();
initSummary();
document.documentElement.dataset.ready = "true"; // wired: what is typed and clicked is handled
