// Folders in the sidebar (docs/folders.md): the tree (server-rendered, fetched again when any tab
// changes it), a folder's chats (loaded when opened), each folder's menu and dialogs, and moving a
// chat: by the chat's actions menu (a list of folders in a dialog), or by dragging its row.
import { $, api, config, els, fragment, label, labels, showError, state, url } from "./page.js";
import { showToast } from "./session.js";
import { markCurrent, sessionItem, sessionRemove, upsertSession } from "./sidebar.js";

const withId = (template, id) => template.replace(config.idPlaceholder, id);
const folderUrl = (id, query = "") => withId(config.urls.folder, id) + (query ? `?${query}` : "");

const tree = $("folder-tree");
const folderDialog = $("folder-dialog");
const deleteDialog = $("folder-delete-dialog");
const moveDialog = $("move-dialog");
const folders = { current: config.folder || null, cursors: new Map(), dialog: null, dragged: null };

const folderItem = (id) => tree.querySelector(`li.folder[data-folder-id="${id}"]`);
const chatList = (item) => item?.querySelector(":scope > .folder-body > .folder-sessions");
const isOpen = (item) => item?.querySelector(":scope > .folder-row > .folder-toggle").getAttribute("aria-expanded") === "true";

// ---- the tree ----------------------------------------------------------------------------------
async function loadChats(item, { more = false } = {}) {
  const id = item.dataset.folderId;
  const cursor = more ? folders.cursors.get(id) : null;
  const query = `folder=${encodeURIComponent(id)}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
  try {
    const { html, headers } = await fragment(url.sidebar(query));
    const list = chatList(item);
    if (more) list.insertAdjacentHTML("beforeend", html); // server-rendered, escaped
    else list.innerHTML = html;
    folders.cursors.set(id, headers.get("X-Next-Cursor") || null);
    item.querySelector(":scope > .folder-body > .folder-more").hidden = !folders.cursors.get(id);
    item.querySelector(":scope > .folder-body > .folder-empty").hidden = Boolean(list.children.length);
    markCurrent();
  } catch (error) {
    showError(label("moreChatsFailed", { reason: error.message }));
  }
}

function setOpen(item, open) {
  item.querySelector(":scope > .folder-row > .folder-toggle").setAttribute("aria-expanded", String(open));
  item.querySelector(":scope > .folder-body").hidden = !open;
  if (open) loadChats(item);
}

// The open chat's folder and every folder above it opened, so that its row shows in the tree.
function reveal(id) {
  const chain = [];
  for (let item = folderItem(id); item; item = item.parentElement.closest("li.folder")) chain.unshift(item);
  for (const item of chain) if (!isOpen(item)) setOpen(item, true);
}

function closeMenus(except = null) {
  for (const menu of tree.querySelectorAll(".folder-menu:not([hidden])")) {
    if (menu === except) continue;
    menu.hidden = true;
    menu.closest("li.folder").querySelector(":scope > .folder-row > .folder-menu-toggle").setAttribute("aria-expanded", "false");
  }
}

function toggleMenu(item, open) {
  const menu = item.querySelector(":scope > .folder-menu");
  const button = item.querySelector(":scope > .folder-row > .folder-menu-toggle");
  closeMenus(menu);
  if (!open && menu.contains(document.activeElement)) button.focus();
  menu.hidden = !open;
  button.setAttribute("aria-expanded", String(open));
  if (open) menu.querySelector(".menu-item").focus();
}

// The tree again, as the server renders it (after a change by this tab or another): the folders
// open stay open, and the focus stays on the same control of the same folder.
export async function refreshTree() {
  const open = [...tree.querySelectorAll("li.folder")].filter(isOpen).map((item) => item.dataset.folderId);
  const focused = tree.contains(document.activeElement) ? document.activeElement : null;
  const focusFolder = focused?.closest("li.folder")?.dataset.folderId;
  // A menu's item goes with the menu, closed by the new tree: its button takes the focus.
  const focusClass = focused?.classList.contains("menu-item") ? "folder-menu-toggle" : focused?.classList[0];
  try {
    const { html } = await fragment(config.urls.folderTree);
    tree.innerHTML = html; // server-rendered, escaped
  } catch (error) {
    showError(error.message);
    return;
  }
  for (const id of open) if (folderItem(id)) setOpen(folderItem(id), true);
  if (focused) {
    const item = focusFolder && folderItem(focusFolder);
    (item?.querySelector(`.${focusClass}`) || $("new-folder")).focus();
  }
}

// ---- where a session's row goes (live.js hands each session event here first) -----------------
// An unpinned live chat in a folder shows in its folder's list (when that folder is open), not in
// the recency list. True when handled here; false leaves the row to the sidebar's own placing.
export function routeSession(summary, { toTop = false } = {}) {
  if (summary.id === state.sessionId && summary.folder !== undefined) folders.current = summary.folder;
  const inFolder = summary.folder && !summary.pinned_at && !summary.archived_at && !summary.deleted_at;
  const row = sessionItem(summary.id);
  const list = row?.closest(".folder-sessions");
  if (!inFolder) {
    if (list) row.remove();
    return false;
  }
  const target = chatList(folderItem(summary.folder));
  if (list && list === target) {
    upsertSession(summary, { toTop: false });
    if (toTop) target.prepend(row);
    return true;
  }
  if (row) sessionRemove(summary.id);
  if (target && isOpen(folderItem(summary.folder))) loadChats(folderItem(summary.folder));
  else if (summary.id === state.sessionId) reveal(summary.folder); // the open chat stays in sight
  return true;
}

async function moveChats(ids, folder) {
  try {
    const moved = await Promise.all(ids.map((id) => api("PATCH", url.session(id), { folder })));
    for (const session of moved) routeSession(session);
    const name = folder ? folderItem(folder)?.dataset.name : null;
    els.announce.textContent = name ? label("movedTo", { name }) : labels.movedOut;
    return true;
  } catch (error) {
    showError(error.message);
    return false;
  }
}

// ---- dialogs -------------------------------------------------------------------------------------
// Edit defaults reads the folder's own (its instructions are not in the page: up to 4,000
// characters a folder).
async function openDefaultsDialog(item) {
  try {
    const folder = await api("GET", folderUrl(item.dataset.folderId));
    openFolderDialog({ mode: "defaults", item, persona: folder.persona || "", instructions: folder.instructions });
  } catch (error) {
    showError(error.message);
  }
}

function openFolderDialog({ mode, item = null, returnTo, persona = "", instructions = "" }) {
  const name = item?.dataset.name || "";
  const titles = {
    create: labels.newFolder,
    subfolder: label("newSubfolderTitle", { name }),
    rename: label("renameFolderTitle", { name }),
    defaults: label("defaultsTitle", { name }),
  };
  $("folder-dialog-title").textContent = titles[mode];
  $("folder-name-field").hidden = mode === "defaults";
  $("folder-persona-field").hidden = mode === "rename";
  $("folder-instructions-field").hidden = mode === "rename";
  $("folder-name").value = mode === "rename" ? name : "";
  $("folder-name").required = mode !== "defaults";
  $("folder-persona").value = persona;
  $("folder-instructions").value = instructions;
  $("folder-error").hidden = true;
  folders.dialog = { mode, id: item?.dataset.folderId || null, returnTo };
  folderDialog.showModal();
}

async function saveFolder(event) {
  if (event.submitter?.value !== "ok") return;
  event.preventDefault();
  const { mode, id } = folders.dialog;
  const body = {};
  if (mode !== "defaults") body.name = $("folder-name").value;
  if (mode !== "rename") Object.assign(body, { persona: $("folder-persona").value || null, instructions: $("folder-instructions").value });
  if (mode === "subfolder") body.parent = id;
  try {
    const folder = await api(mode === "create" || mode === "subfolder" ? "POST" : "PATCH", mode === "create" || mode === "subfolder" ? config.urls.folders : folderUrl(id), body);
    folders.dialog.returnTo = null;
    folderDialog.close();
    await refreshTree();
    const item = folderItem(folder.id);
    if (item?.parentElement.closest("li.folder") && !isOpen(item.parentElement.closest("li.folder"))) {
      setOpen(item.parentElement.closest("li.folder"), true);
    }
    (item?.querySelector(".folder-toggle") || $("new-folder")).focus();
  } catch (error) {
    $("folder-error").textContent = error.message;
    $("folder-error").hidden = false;
  }
}

function openDeleteDialog(item) {
  $("folder-delete-title").textContent = label("deleteFolderTitle", { name: item.dataset.name });
  deleteDialog.querySelector('input[value="move_out"]').checked = true;
  folders.dialog = { id: item.dataset.folderId };
  deleteDialog.returnValue = "";
  deleteDialog.showModal();
}

async function deleteFolder() {
  if (deleteDialog.returnValue !== "ok") {
    folderItem(folders.dialog.id)?.querySelector(".folder-menu-toggle")?.focus();
    return;
  }
  const chats = deleteDialog.querySelector('input[name="folder-chats"]:checked').value;
  try {
    const { trashed } = await api("DELETE", folderUrl(folders.dialog.id, `chats=${chats}`));
    await refreshTree();
    $("new-folder").focus();
    if (trashed.length) {
      showToast(trashed.length === 1 ? labels.folderDeletedTrashOne : label("folderDeletedTrash", { count: trashed.length }), {
        // The chats come back, in no folder (the folder itself stays deleted): said once done.
        undo: () => api("POST", config.urls.bulk, { ids: trashed, action: "restore" })
          .then(() => { els.announce.textContent = labels.folderChatsRestored; })
          .catch((e) => showError(e.message)),
        focus: true,
      });
    } else {
      showToast(labels.folderDeleted);
    }
  } catch (error) {
    showError(error.message);
  }
}

// "Move to folder…": every folder, indented by its level, and "No folder"; the chat's own is marked.
function openMoveDialog() {
  const list = $("move-list");
  const choices = [{ id: null, name: labels.noFolder, depth: 1 }];
  for (const item of tree.querySelectorAll("li.folder")) {
    choices.push({ id: item.dataset.folderId, name: item.dataset.name, depth: Number(item.dataset.depth) });
  }
  list.replaceChildren(...choices.map((choice) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "menu-item";
    button.dataset.folder = choice.id || "";
    button.style.paddingInlineStart = `${0.7 + (choice.depth - 1) * 1.1}rem`;
    button.textContent = choice.name;
    if ((choice.id || null) === (folders.current || null)) button.setAttribute("aria-current", "true");
    li.append(button);
    return li;
  }));
  moveDialog.showModal();
  (list.querySelector('[aria-current="true"]') || list.querySelector("button")).focus();
}

// ---- wiring --------------------------------------------------------------------------------------
if (folders.current) reveal(folders.current);
tree.addEventListener("click", (event) => {
  const item = event.target.closest("li.folder");
  if (!item) return;
  if (event.target.closest(".folder-toggle")) setOpen(item, !isOpen(item));
  else if (event.target.closest(".folder-menu-toggle")) toggleMenu(item, item.querySelector(":scope > .folder-menu").hidden);
  else if (event.target.closest(".folder-more")) loadChats(item, { more: true });
  const action = event.target.closest("[data-folder-action]")?.dataset.folderAction;
  if (!action || event.target.closest("li.folder") !== item) return;
  toggleMenu(item, false);
  if (action === "new-chat") {
    api("POST", config.urls.sessions, { folder: item.dataset.folderId })
      .then((session) => location.assign(url.chat(session.id)))
      .catch((error) => showError(error.message));
  } else if (action === "new-subfolder") openFolderDialog({ mode: "subfolder", item });
  else if (action === "rename") openFolderDialog({ mode: "rename", item });
  else if (action === "defaults") openDefaultsDialog(item);
  else if (action === "delete") openDeleteDialog(item);
});
tree.addEventListener("keydown", (event) => {
  const menu = event.target.closest(".folder-menu");
  if (!menu) return;
  if (event.key === "Escape") { event.stopPropagation(); toggleMenu(menu.closest("li.folder"), false); return; }
  const items = [...menu.querySelectorAll(".menu-item")];
  const at = items.indexOf(document.activeElement);
  const next = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[event.key];
  if (next !== undefined) { event.preventDefault(); items[(next + items.length) % items.length].focus(); }
});
document.addEventListener("click", (event) => { if (!event.target.closest(".folder-menu, .folder-menu-toggle")) closeMenus(); });
$("new-folder").addEventListener("click", () => openFolderDialog({ mode: "create" }));
$("folder-form").addEventListener("submit", saveFolder);
$("folder-cancel").addEventListener("click", () => folderDialog.close());
folderDialog.addEventListener("close", () => {
  const id = folders.dialog?.id;
  if (folders.dialog?.returnTo !== null) (folderItem(id)?.querySelector(".folder-menu-toggle") || $("new-folder")).focus();
});
deleteDialog.addEventListener("close", deleteFolder);
$("folder-delete-cancel").addEventListener("click", () => deleteDialog.close()); // returnValue "": kept
$("move-to-folder").addEventListener("click", openMoveDialog);
$("move-list").addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-folder]");
  if (!button) return;
  moveDialog.close();
  // The chat's own folder (marked): nothing to move, and nothing to announce.
  if (state.sessionId && !button.hasAttribute("aria-current")) await moveChats([state.sessionId], button.dataset.folder || null);
});
// Arrow keys, Home and End move through the folders as in the page's menus (Tab still does).
$("move-list").addEventListener("keydown", (event) => {
  const items = [...$("move-list").querySelectorAll("button[data-folder]")];
  const at = items.indexOf(document.activeElement);
  const next = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[event.key];
  if (next !== undefined) { event.preventDefault(); items[(next + items.length) % items.length].focus(); }
});
// Closed (a folder chosen, Cancel, Escape), the dialog gives the focus back to the chat's actions.
moveDialog.addEventListener("close", () => els.actionsToggle.focus());

// Drag a sidebar row onto a folder (or onto the list of chats in no folder) to move it there.
els.nav.addEventListener("dragstart", (event) => {
  const row = event.target.closest?.("li.session-item");
  if (!row) return;
  folders.dragged = row.dataset.id;
  event.dataTransfer.setData("text/plain", row.querySelector("a").href);
  event.dataTransfer.effectAllowed = "move";
});
els.nav.addEventListener("dragend", () => {
  folders.dragged = null;
  for (const target of els.nav.querySelectorAll(".drop-target")) target.classList.remove("drop-target");
});
function dropTarget(event) {
  if (!folders.dragged) return null;
  return event.target.closest?.(".folder-row") || event.target.closest?.("#sessions");
}
els.nav.addEventListener("dragover", (event) => {
  const target = dropTarget(event);
  if (!target) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = "move";
  for (const other of els.nav.querySelectorAll(".drop-target")) if (other !== target) other.classList.remove("drop-target");
  target.classList.add("drop-target");
});
els.nav.addEventListener("drop", (event) => {
  const target = dropTarget(event);
  if (!target) return;
  event.preventDefault();
  target.classList.remove("drop-target");
  const folder = target.closest("li.folder")?.dataset.folderId || null;
  moveChats([folders.dragged], folder);
  folders.dragged = null;
});
