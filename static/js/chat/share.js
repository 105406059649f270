// The chat's "Share…" dialog (docs/sharing.md): the chat's live link, or "Create link"; once made,
// its address to copy, its settings to change, "Update the link" (a new snapshot) and "Revoke"
// (confirmed first). All through the API: GET/POST /api/sessions/{id}/share/, PATCH/DELETE
// /api/shares/{id}/.
import { $, api, config, els, label, labels, state } from "./page.js";

const shareEls = {
  menuItem: $("share"), dialog: $("share-dialog"), form: $("share-form"), link: $("share-link"),
  url: $("share-url"), copy: $("share-copy"), facts: $("share-facts"), emailsField: $("share-emails-field"),
  emails: $("share-emails"), expires: $("share-expires"), password: $("share-password"),
  passwordHint: $("share-password-hint"), noPasswordField: $("share-no-password-field"),
  noPassword: $("share-no-password"), name: $("share-name"), error: $("share-error"), status: $("share-status"),
  confirm: $("share-confirm"), revokeYes: $("share-revoke-yes"), revokeNo: $("share-revoke-no"),
  actions: $("share-actions"), revoke: $("share-revoke"), update: $("share-update"), close: $("share-close"),
  submit: $("share-submit"),
};
const withId = (template, id) => template.replace(config.idPlaceholder, id);
const dialog = { sessionId: null, share: null, busy: false };

const audience = () => shareEls.form.querySelector('input[name="share-audience"]:checked').value;
const absolute = (path) => new URL(path, location.origin).href;

// A date input's day <-> the link's expiry: the end of that day, in the owner's time zone.
function dayOf(iso) {
  if (!iso) return "";
  const moment = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}`;
}
const endOfDay = (day) => (day ? new Date(`${day}T23:59:59`).toISOString() : null);

function showError(message) {
  shareEls.error.textContent = message;
  shareEls.error.hidden = !message;
}

function say(message) {
  shareEls.status.textContent = "";
  // A fresh text node after clearing: screen readers announce the same words said twice.
  requestAnimationFrame(() => { shareEls.status.textContent = message; });
}

function showEmails() {
  shareEls.emailsField.hidden = audience() !== "named";
}

// The form shows `share` (null: no live link, a new one to create).
function show(share) {
  dialog.share = share;
  const live = Boolean(share);
  shareEls.link.hidden = !live;
  shareEls.revoke.hidden = !live;
  shareEls.update.hidden = !live;
  shareEls.confirm.hidden = true;
  shareEls.actions.hidden = false;
  shareEls.submit.textContent = live ? labels.shareSave : labels.shareCreate;
  shareEls.password.value = "";
  shareEls.noPassword.checked = false;
  shareEls.noPasswordField.hidden = !share?.has_password;
  shareEls.passwordHint.textContent = share?.has_password ? labels.sharePasswordKeep : labels.sharePasswordHint;
  const chosen = share?.audience || "anyone";
  for (const radio of shareEls.form.querySelectorAll('input[name="share-audience"]')) radio.checked = radio.value === chosen;
  shareEls.emails.value = (share?.emails || []).join(", ");
  shareEls.expires.value = dayOf(share?.expires_at);
  shareEls.expires.min = dayOf(new Date().toISOString());
  shareEls.name.value = share?.display_name || "";
  showEmails();
  if (!live) return;
  shareEls.url.textContent = absolute(share.url);
  shareEls.facts.textContent = label("shareFacts", {
    messages: share.message_count, when: new Date(share.snapshot_at).toLocaleString(), views: share.view_count,
  });
}

async function openDialog() {
  if (!state.sessionId) return;
  dialog.sessionId = state.sessionId;
  showError("");
  shareEls.status.textContent = "";
  show(null);
  // Opened once the chat's links are known: the focus must not move under someone already typing.
  try {
    const { results } = await api("GET", withId(config.urls.sessionShare, dialog.sessionId));
    show(results.find((share) => !share.revoked_at) || null);
  } catch (error) {
    showError(error.message);
  }
  shareEls.dialog.showModal();
  (dialog.share ? shareEls.copy : shareEls.form.querySelector('input[name="share-audience"]:checked')).focus();
}

// The settings as the form holds them; a password only when typed (or removed).
function settings() {
  const body = {
    audience: audience(),
    expires_at: endOfDay(shareEls.expires.value),
    display_name: shareEls.name.value.trim(),
  };
  if (body.audience === "named") body.emails = shareEls.emails.value.split(/[\s,;]+/).filter(Boolean);
  if (shareEls.password.value) body.password = shareEls.password.value;
  else if (!dialog.share || shareEls.noPassword.checked) body.password = null;
  return body;
}

async function run(work, message, focus) {
  if (dialog.busy) return;
  dialog.busy = true;
  showError("");
  try {
    show(await work());
    say(message);
    (focus() || shareEls.close).focus();
  } catch (error) {
    showError(error.message);
  } finally {
    dialog.busy = false;
  }
}

function onSubmit(event) {
  event.preventDefault(); // the form is the dialog's: its submit would close it
  const body = settings();
  if (body.audience === "named" && !body.emails.length) {
    showError(labels.shareEmailsNeeded);
    shareEls.emails.focus();
    return;
  }
  if (dialog.share) {
    run(() => api("PATCH", withId(config.urls.share, dialog.share.id), body), labels.shareSaved, () => shareEls.submit);
  } else {
    run(() => api("POST", withId(config.urls.sessionShare, dialog.sessionId), body), labels.shareCreated,
      () => shareEls.copy);
  }
}

function onUpdate() {
  run(() => api("PATCH", withId(config.urls.share, dialog.share.id), { update: true }), labels.shareUpdated,
    () => shareEls.update);
}

function askRevoke() {
  shareEls.confirm.hidden = false;
  shareEls.actions.hidden = true;
  shareEls.revokeNo.focus();
}

function keepIt() {
  shareEls.confirm.hidden = true;
  shareEls.actions.hidden = false;
  shareEls.revoke.focus();
}

function onRevoke() {
  const id = dialog.share.id;
  run(async () => { await api("DELETE", withId(config.urls.share, id)); return null; }, labels.shareRevoked,
    () => shareEls.form.querySelector('input[name="share-audience"]:checked'));
}

async function onCopy() {
  try {
    await navigator.clipboard.writeText(shareEls.url.textContent);
    say(labels.shareCopied);
  } catch {
    // No clipboard (an insecure origin, a refused permission): the address is selected instead.
    const range = document.createRange();
    range.selectNodeContents(shareEls.url);
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
    say(labels.shareCopyFailed);
  }
}

export function initShare() {
  shareEls.menuItem.addEventListener("click", openDialog);
  shareEls.form.addEventListener("submit", onSubmit);
  shareEls.form.addEventListener("change", (event) => { if (event.target.name === "share-audience") showEmails(); });
  shareEls.copy.addEventListener("click", onCopy);
  shareEls.update.addEventListener("click", onUpdate);
  shareEls.revoke.addEventListener("click", askRevoke);
  shareEls.revokeNo.addEventListener("click", keepIt);
  shareEls.revokeYes.addEventListener("click", onRevoke);
  shareEls.close.addEventListener("click", () => shareEls.dialog.close());
  // Closed (Close or Escape), the focus goes back to the menu's button: "Share…" is hidden by then.
  shareEls.dialog.addEventListener("close", () => { dialog.sessionId = null; els.actionsToggle.focus(); });
}
