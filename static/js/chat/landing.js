// A page opened at a message (docs/landing.md): `/c/{id}/?at={seq}` renders the messages around it
// (the server marks it: class "landed", aria-current), this scrolls it into view, marks the words of
// the search that led here (`&q=`) with <mark> (text nodes only: never markup made from user text),
// and, on another version of the chat, says so and offers to continue from it. The head moves only
// when the user asks (the switch API); until then older and newer pages follow the path shown.
import { announce } from "./branches.js";
import { reloadMessages } from "./messages.js";
import { api, config, els, label, labels, showError, state, url } from "./page.js";

// The words of a query as the search box takes them (docs/search.md): quoted phrases whole, the
// filters (tag:, folder:, after:, before:, role:, persona:, a quoted value too) left out; any other
// key:value is its words.
const FILTER = /^(tag|folder|after|before|role|persona):("[^"]*"|\S*)$/i;

export function searchTerms(q) {
  const terms = [];
  for (const token of q.match(/[a-z]+:"[^"]*"|"[^"]*"|\S+/gi) || []) {
    if (FILTER.test(token)) continue;
    for (const part of token.startsWith('"') ? [token.slice(1, -1)] : token.split(":")) {
      const term = part.trim().toLowerCase();
      if (term && !terms.includes(term)) terms.push(term);
    }
  }
  return terms;
}

function markWords(root, terms) {
  if (!root || !terms.length) return;
  const escaped = terms.map((term) => term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).sort((a, b) => b.length - a.length);
  const pattern = new RegExp(escaped.join("|"), "giu");
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) if (!walker.currentNode.parentElement.closest("mark")) nodes.push(walker.currentNode);
  for (const node of nodes) {
    const text = node.nodeValue;
    const parts = [];
    let position = 0;
    for (const match of text.matchAll(pattern)) {
      if (!match[0]) continue;
      parts.push(document.createTextNode(text.slice(position, match.index)));
      const mark = document.createElement("mark");
      mark.textContent = match[0];
      parts.push(mark);
      position = match.index + match[0].length;
    }
    if (!parts.length) continue;
    parts.push(document.createTextNode(text.slice(position)));
    node.replaceWith(...parts);
  }
}

// `terms` marked in the message landed on (no-op on a page not opened at a message).
export function markLanded(terms) {
  const item = config.landing && els.list.querySelector(`li.message[data-seq="${config.landing.at}"]`);
  if (item) markWords(item.querySelector(".message-body"), terms.map((term) => term.toLowerCase()).filter(Boolean));
}

// On the page's first paint: true when it was opened at a message and shows it (else the caller
// scrolls to the end as usual).
export function land() {
  const landing = config.landing;
  const item = landing && els.list.querySelector(`li.message[data-seq="${landing.at}"]`);
  if (!item) return false;
  const q = new URLSearchParams(location.search).get("q");
  if (q) markWords(item.querySelector(".message-body"), searchTerms(q));
  item.scrollIntoView({ block: "center" });
  if (state.leaf !== null) {
    els.landingText.textContent = ""; // set again once shown: the live region says it
    requestAnimationFrame(() => { els.landingText.textContent = labels.otherVersion; });
  }
  return true;
}

// "Continue from here": the version shown becomes the active one (the head goes to the newest
// message under the one landed on: the path shown). The socket's session.head then reloads the
// newest page, where the conversation goes on.
export async function continueHere() {
  if (!state.sessionId || !config.landing) return;
  els.landingContinue.disabled = true;
  try {
    await api("POST", url.switch(state.sessionId), { seq: config.landing.at });
    state.leaf = null;
    els.landingBanner.hidden = true;
    announce(labels.continued);
    els.input.focus();
  } catch (error) {
    showError(label("continueFailed", { reason: error.message }));
  } finally {
    els.landingContinue.disabled = false;
  }
}

// Before a message is sent from a page showing another version or the middle of the chat: the
// chat's end, where the message goes (after the head), so that it shows where it went.
export async function toTheEnd() {
  if (state.leaf !== null || state.hasNewer) await reloadMessages();
}
