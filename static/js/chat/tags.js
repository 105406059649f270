// Tags (docs/tags.md): each sidebar row's chips, the sidebar filtered by a tag (a chip clicked or the
// tag filter chosen; its pages through GET /api/sessions/?tag=), and the chat's "Tags…" dialog
// (suggestions as typed from GET /api/tags/?prefix=, in a <datalist>). Other tabs follow through
// the tags.changed and sessions.tags events (live.js calls tagsChanged and sessionsTags).
import { $, api, config, els, label, labels, state, url } from "./page.js";

const tagEls = {
  filter: $("tag-filter"), results: $("tag-results"), status: $("tag-status"), list: $("tag-list"),
  clear: $("tag-clear"), more: $("tag-more"), menuItem: $("tags"), dialog: $("tags-dialog"),
  form: $("tags-form"), current: $("tags-current"), input: $("tags-input"), suggestions: $("tags-suggestions"),
  error: $("tags-error"), dialogStatus: $("tags-status"), done: $("tags-done"),
};

const same = (a, b) => a.localeCompare(b, undefined, { sensitivity: "accent" }) === 0
  || a.toLowerCase() === b.toLowerCase();
const tagsUrl = (query) => `${config.urls.tags}?${query}`;
const sessionTagsUrl = (id) => config.urls.sessionTags.replace(config.idPlaceholder, id);
const taggedUrl = (tag) => `${config.urls.sessions}?tag=${encodeURIComponent(tag)}`;

// ---- a row's chips ------------------------------------------------------------------------------
export function fillTagChips(item, names) {
  const holder = item.querySelector(".session-tags");
  if (!holder) return;
  holder.replaceChildren(...names.map((name) => {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "tag-chip";
    chip.tabIndex = -1; // the tag filter is the keyboard's way; a chip is the pointer's shortcut
    chip.dataset.tag = name;
    chip.textContent = name;
    return chip;
  }));
}

function rowsOf(id) { return els.sidebar.querySelectorAll(`li.session-item[data-id="${id}"]`); }

// ---- the sidebar filtered by a tag --------------------------------------------------------------
const filter = { tag: null, next: null, serial: 0 };

async function showTagged(tag, { focus = null } = {}) {
  filter.tag = tag;
  filter.next = null;
  const serial = ++filter.serial;
  selectFilterOption(tag);
  tagEls.list.replaceChildren();
  tagEls.results.hidden = false;
  els.nav.hidden = true;
  focus?.focus();
  await loadTagged(serial, taggedUrl(tag));
}

async function loadTagged(serial, target) {
  let answer;
  try {
    answer = await api("GET", target);
  } catch (error) {
    if (serial === filter.serial) tagEls.status.textContent = label("taggedFailed", { tag: filter.tag, reason: error.message });
    return;
  }
  if (serial !== filter.serial) return; // another tag was chosen meanwhile
  tagEls.list.append(...answer.results.map(taggedRow));
  filter.next = answer.next;
  tagEls.more.hidden = !filter.next;
  const none = !tagEls.list.querySelector("li");
  tagEls.status.textContent = label(none ? "taggedNone" : "taggedStatus", { tag: filter.tag });
}

function clearTagged() {
  filter.tag = null;
  filter.serial++;
  tagEls.results.hidden = true;
  tagEls.list.replaceChildren();
  tagEls.status.textContent = "";
  tagEls.filter.value = "";
  els.nav.hidden = !els.searchResults.hidden;
}

// A row of the filtered list: the page's row template, as sidebar.js fills it.
function taggedRow(summary) {
  const item = els.sessionTemplate.content.firstElementChild.cloneNode(true);
  item.dataset.id = summary.id;
  const link = item.querySelector("a");
  link.href = url.chat(summary.id);
  link.setAttribute("aria-describedby", `tagged-preview-${summary.id}`);
  const preview = item.querySelector(".session-preview");
  preview.id = `tagged-preview-${summary.id}`;
  const title = summary.title || labels.newChat;
  item.querySelector(".session-title").textContent = title;
  preview.textContent = summary.preview === title ? "" : summary.preview;
  item.querySelector(".count-number").textContent = summary.message_count;
  item.querySelector(".session-count").title = `${summary.message_count} messages`;
  if (summary.id === state.sessionId) {
    item.classList.add("current");
    link.setAttribute("aria-current", "page");
  }
  fillTagChips(item, summary.tags);
  return item;
}

// ---- the tag filter's choices: the user's tags ----------------------------------------------------
function selectFilterOption(tag) {
  const option = [...tagEls.filter.options].find((o) => o.value && same(o.value, tag || ""));
  tagEls.filter.value = option ? option.value : "";
}

export function tagsChanged(tags) {
  const chosen = filter.tag;
  tagEls.filter.replaceChildren(tagEls.filter.options[0], ...tags.map((tag) => new Option(tag.name, tag.name)));
  tagEls.filter.hidden = !tags.length;
  if (chosen && !tags.some((tag) => same(tag.name, chosen))) clearTagged(); // renamed or deleted
  else selectFilterOption(chosen);
}

async function loadTags() {
  try {
    tagsChanged((await api("GET", tagsUrl(`limit=${config.maxTags}`))).results);
  } catch { /* no filter until the next tags.changed: the sidebar works without it */ }
}

// ---- other tabs' changes -----------------------------------------------------------------------
export function sessionsTags(sessions) {
  let membership = false;
  for (const { id, tags } of sessions) {
    for (const item of rowsOf(id)) fillTagChips(item, tags);
    if (filter.tag) {
      const listed = Boolean(tagEls.list.querySelector(`li.session-item[data-id="${id}"]`));
      membership ||= listed !== tags.some((name) => same(name, filter.tag));
    }
    if (id === editor.sessionId && tagEls.dialog.open) showEditorTags(tags);
  }
  if (membership) showTagged(filter.tag); // a chat gained or lost the tag: the list from its start
}

// ---- the chat's "Tags…" dialog ------------------------------------------------------------------
const editor = { sessionId: null, names: [], timer: null, serial: 0 };

async function openEditor() {
  if (!state.sessionId) return;
  editor.sessionId = state.sessionId;
  const row = els.nav.querySelector(`li.session-item[data-id="${state.sessionId}"]`);
  showEditorTags([...(row?.querySelectorAll(".tag-chip") || [])].map((chip) => chip.dataset.tag));
  tagEls.input.value = "";
  tagEls.error.hidden = true;
  tagEls.dialogStatus.textContent = "";
  tagEls.dialog.showModal();
  tagEls.input.focus();
  suggest();
  try {
    showEditorTags((await api("GET", url.session(editor.sessionId))).tags);
  } catch (error) {
    showEditorError(error.message);
  }
}

function showEditorTags(names) {
  editor.names = names;
  if (!names.length) {
    const empty = document.createElement("li");
    empty.className = "muted small";
    empty.textContent = labels.tagsNone;
    tagEls.current.replaceChildren(empty);
    return;
  }
  tagEls.current.replaceChildren(...names.map((name) => {
    const item = document.createElement("li");
    item.className = "tag-chip";
    const text = document.createElement("span");
    text.textContent = name;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "tag-remove";
    remove.dataset.tag = name;
    remove.setAttribute("aria-label", label("tagRemove", { tag: name }));
    remove.textContent = "×";
    item.append(text, remove);
    return item;
  }));
}

function showEditorError(message) {
  tagEls.error.textContent = message;
  tagEls.error.hidden = !message;
}

// The chat's tags become `names` (PUT: the server keeps each existing tag's spelling).
async function saveTags(names, announce) {
  const id = editor.sessionId;
  try {
    const { tags } = await api("PUT", sessionTagsUrl(id), { tags: names });
    showEditorError("");
    showEditorTags(tags);
    for (const item of rowsOf(id)) fillTagChips(item, tags);
    tagEls.dialogStatus.textContent = announce;
    return true;
  } catch (error) {
    showEditorError(error.message);
    return false;
  }
}

async function onAdd(event) {
  event.preventDefault(); // the form is the dialog's: its submit would close it
  const typed = tagEls.input.value.split(",").map((name) => name.trim()).filter(Boolean);
  if (!typed.length) return;
  const added = typed.filter((name) => !editor.names.some((have) => same(have, name)));
  if (await saveTags([...editor.names, ...added], label("tagAdded", { tag: typed.join(", ") }))) {
    tagEls.input.value = "";
    suggest();
  }
  tagEls.input.focus();
}

async function onRemove(event) {
  const button = event.target.closest(".tag-remove");
  if (!button) return;
  const name = button.dataset.tag;
  const next = button.closest("li").nextElementSibling?.querySelector(".tag-remove");
  await saveTags(editor.names.filter((have) => have !== name), label("tagRemoved", { tag: name }));
  const after = next && tagEls.current.querySelector(`.tag-remove[data-tag="${CSS.escape(next.dataset.tag)}"]`);
  (after || tagEls.input).focus();
}

// Suggestions as typed: the user's tags starting with what is in the box, those on the chat left out.
function suggest() {
  clearTimeout(editor.timer);
  editor.timer = setTimeout(async () => {
    const serial = ++editor.serial;
    const prefix = tagEls.input.value.split(",").pop().trim();
    let tags = [];
    try {
      tags = (await api("GET", tagsUrl(`prefix=${encodeURIComponent(prefix)}`))).results;
    } catch { return; } // no suggestions this time; typing works without them
    if (serial !== editor.serial) return;
    const options = tags.filter((tag) => !editor.names.some((have) => same(have, tag.name)))
      .map((tag) => new Option(tag.name, tag.name));
    tagEls.suggestions.replaceChildren(...options);
  }, 120);
}

function closeEditor() {
  tagEls.dialog.close();
}

// ---- wiring ---------------------------------------------------------------------------------------
export function initTags() {
  tagEls.filter.addEventListener("change", () => {
    if (tagEls.filter.value) showTagged(tagEls.filter.value);
    else clearTagged();
  });
  els.sidebar.addEventListener("click", (event) => {
    const chip = event.target.closest("button.tag-chip");
    if (chip) showTagged(chip.dataset.tag, { focus: tagEls.filter.hidden ? tagEls.clear : tagEls.filter });
  });
  tagEls.clear.addEventListener("click", () => {
    clearTagged();
    (tagEls.filter.hidden ? els.search : tagEls.filter).focus();
  });
  tagEls.more.addEventListener("click", () => { if (filter.next) loadTagged(filter.serial, filter.next); });
  tagEls.menuItem.addEventListener("click", openEditor);
  tagEls.form.addEventListener("submit", onAdd);
  tagEls.current.addEventListener("click", onRemove);
  tagEls.input.addEventListener("input", suggest);
  tagEls.done.addEventListener("click", closeEditor);
  // Closed (Done or Escape), the focus goes back to the menu's button: "Tags…" is hidden by then.
  tagEls.dialog.addEventListener("close", () => { editor.sessionId = null; els.actionsToggle.focus(); });
  loadTags();
}
