// The sidebar's search (docs/landing.md): message hits from /api/search/, best first, a cursor page
// at a time. Each hit opens its chat at the message (`hit.url` and the query: the page marks its
// words); the box keeps the query across the pages it opens (the results and the current one are
// kept in sessionStorage), and next/previous (the buttons, Enter and Shift+Enter in the box) move
// through the results without typing again, loading the next page of hits when needed. Rows are
// `<li class="hit" data-session-id data-seq>`, built from text nodes only.
import { markLanded } from "./landing.js";
import { NEW_CHAT, api, config, els, label, labels, state, url } from "./page.js";

const storeKey = `chat-search:${config.userId}`;
const search = { timer: null, serial: 0, q: "", hits: [], next: null, partial: false, message: "", index: -1 };

function remember(focus) {
  const { q, hits, next, partial, message, index } = search;
  try {
    sessionStorage.setItem(storeKey, JSON.stringify({ q, hits, next, partial, message, index, focus }));
  } catch { /* storage full or off: the next page searches again */ }
}

function recall() {
  try {
    return JSON.parse(sessionStorage.getItem(storeKey));
  } catch {
    return null;
  }
}

export function onSearchInput() {
  clearTimeout(search.timer);
  search.timer = setTimeout(runSearch, 250);
}

export async function runSearch() {
  clearTimeout(search.timer);
  const q = els.search.value.trim();
  const serial = ++search.serial;
  if (!q) {
    Object.assign(search, { q: "", hits: [], next: null, partial: false, index: -1 });
    sessionStorage.removeItem(storeKey);
    els.searchResults.hidden = true;
    els.nav.hidden = false;
    return;
  }
  let answer = null;
  let failure = "";
  try {
    answer = await api("GET", url.hits(q));
  } catch (error) {
    // A query the server cannot take (filters alone, a bad date) is said as its advice, not as a
    // failure, and without the API's field name ("q: ").
    failure = error.status === 400 ? error.message.replace(/^q: /, "") : label("searchFailed", { reason: error.message });
  }
  if (serial !== search.serial) return; // a newer search is on its way
  Object.assign(search, {
    q,
    hits: answer?.results || [],
    next: answer?.next || null,
    partial: Boolean(answer?.partial),
    message: answer?.message || "",
    index: -1,
  });
  render(failure);
}

function render(failure = "") {
  els.searchList.replaceChildren(...search.hits.map(hitItem));
  const count = search.hits.length;
  const found = count === 1 && !search.next ? labels.hitsOne : label("hitsMany", { count: search.next ? `${count}+` : count });
  let status = failure || (count ? found : labels.nothingFound);
  if (search.partial && !failure) status += ` ${search.message || labels.hitsPartial}`;
  els.searchStatus.textContent = status;
  els.hitNav.hidden = !count;
  showPosition();
  els.searchResults.hidden = false;
  els.nav.hidden = true;
}

function showPosition() {
  const count = search.hits.length;
  els.hitPosition.textContent = search.index >= 0 ? label("hitPosition", { index: search.index + 1, count }) : "";
  els.hitPrev.disabled = search.index <= 0;
  els.hitNext.disabled = search.index >= count - 1 && !search.next;
  els.searchList.querySelectorAll("li.hit").forEach((item, index) => {
    const link = item.querySelector("a");
    item.classList.toggle("current", index === search.index);
    if (index === search.index) link.setAttribute("aria-current", "true"); else link.removeAttribute("aria-current");
  });
}

const hitUrl = (hit) => `${hit.url}${hit.url.includes("?") ? "&" : "?"}q=${encodeURIComponent(search.q)}`;

function hitItem(hit, index) {
  const item = document.createElement("li");
  item.className = "hit";
  item.dataset.sessionId = hit.session.id;
  item.dataset.seq = hit.seq;
  const link = document.createElement("a");
  link.href = hitUrl(hit);
  const title = document.createElement("span");
  title.className = "session-title";
  title.textContent = hit.session.title || NEW_CHAT;
  const snippet = document.createElement("span");
  snippet.className = "snippet";
  const text = hit.snippet || "";
  let position = 0;
  for (const [start, end] of hit.highlights || []) {
    snippet.append(text.slice(position, start));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(start, end);
    snippet.append(mark);
    position = end;
  }
  snippet.append(text.slice(position));
  link.append(title, snippet);
  if (!hit.active_branch) {
    const note = document.createElement("span");
    note.className = "hit-note";
    note.textContent = labels.hitOtherVersion;
    link.append(" ", note);
  }
  link.addEventListener("click", () => { search.index = index; remember("hit"); });
  item.append(link);
  return item;
}

async function loadMoreHits() {
  const serial = search.serial;
  try {
    const answer = await api("GET", search.next);
    if (serial !== search.serial) return;
    const from = search.hits.length;
    search.hits.push(...answer.results);
    search.next = answer.next || null;
    els.searchList.append(...answer.results.map((hit, i) => hitItem(hit, from + i)));
  } catch (error) {
    els.searchStatus.textContent = label("searchFailed", { reason: error.message });
  }
}

// The next (1) or previous (-1) hit, opened; `focus` is what takes the focus on the page it opens.
export async function goToHit(delta, focus) {
  if (els.search.value.trim() !== search.q) await runSearch(); // typed since: this query's hits
  if (!search.hits.length) return;
  let target = search.index < 0 ? (delta > 0 ? 0 : search.hits.length - 1) : search.index + delta;
  if (target >= search.hits.length && search.next) await loadMoreHits();
  if (target < 0 || target >= search.hits.length) return;
  search.index = target;
  remember(focus);
  location.assign(hitUrl(search.hits[target]));
}

export function onSearchKey(event) {
  if (event.key !== "Enter" || event.isComposing) return;
  event.preventDefault();
  goToHit(event.shiftKey ? -1 : 1, "search");
}

// A page opened from a hit (`&q=` in its address): the box, the results and the current hit as
// they were, the focus where it was (the box, a button, the hit's link).
export function restoreSearch() {
  const params = new URLSearchParams(location.search);
  const q = params.get("q");
  if (!q) return;
  els.search.value = q;
  const saved = recall();
  const current = () => search.hits.findIndex(
    (hit) => hit.session.id === state.sessionId && String(hit.seq) === params.get("at"),
  );
  // The words the search matched in the hit's snippet (a stem's forms: "proofing" for "proof") are
  // marked in the message too.
  const markMatched = () => {
    const hit = search.hits[search.index];
    if (hit) markLanded((hit.highlights || []).map(([start, end]) => hit.snippet.slice(start, end)));
  };
  if (saved && saved.q === q.trim()) {
    Object.assign(search, saved);
    search.index = current();
    render();
    markMatched();
    const focus = { search: els.search, next: els.hitNext, prev: els.hitPrev }[saved.focus]
      || (saved.focus === "hit" && els.searchList.querySelector("li.hit.current a"));
    if (focus && !focus.disabled) focus.focus();
    else if (saved.focus) els.search.focus();
    els.searchList.querySelector("li.hit.current")?.scrollIntoView({ block: "nearest" });
  } else {
    runSearch().then(() => { search.index = current(); showPosition(); markMatched(); });
  }
}

// A chat's head moved (Continue from here, an edit, a switch in another tab): which of its hits lie
// on the active branch may have changed, so the same search runs again, the current hit and a
// focused hit's link kept.
export async function headMoved(sessionId) {
  if (!search.q || !els.searchList.querySelector(`li.hit[data-session-id="${sessionId}"]`)) return;
  const same = (hit) => (other) => other.session.id === hit?.session.id && other.seq === hit?.seq;
  const current = search.hits[search.index];
  const focused = els.searchList.contains(document.activeElement)
    ? search.hits[[...els.searchList.children].indexOf(document.activeElement.closest("li.hit"))]
    : null;
  await runSearch();
  search.index = search.hits.findIndex(same(current));
  showPosition();
  remember(recall()?.focus);
  if (focused) els.searchList.children[search.hits.findIndex(same(focused))]?.querySelector("a")?.focus();
}
