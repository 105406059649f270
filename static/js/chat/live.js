// What each of the socket's events (docs/websocket.md) does to the page.
import { branchAccepted, branchRefused, followHead } from "./branches.js";
import { sendAccepted, sendOutbox, sendRefused } from "./composer.js";
import { listen, socket } from "./connection.js";
import { refreshTree, routeSession } from "./folders.js";
import { refreshGauge } from "./gauge.js";
import { catchUp, replyBegin, replyDelta, replyFinish } from "./messages.js";
import { els, showError, state, url } from "./page.js";
import { newChat, showLifecycle, showSession, showTitle } from "./session.js";
import { headMoved } from "./search.js";
import { placeSession, sessionRemove, sessionTitle, upsertSession } from "./sidebar.js";
import { sessionsTags, tagsChanged } from "./tags.js";

// Sessions that left the sidebar for good or for the trash; a page showing one opens a new chat.
function sessionsGone(ids) {
  for (const id of ids) sessionRemove(id);
  if (ids.includes(state.sessionId)) newChat();
}

const handlers = {
  "session.opened": (event) => {
    if (event.session.id !== state.sessionId) return;
    if (event.reply_in_progress) replyBegin(event.reply_in_progress.text);
    catchUp();
    refreshGauge();
  },
  "send.accepted": (event) => {
    if (event.ref === "edit" || event.ref === "regenerate") {
      branchAccepted(event.client_id);
      return;
    }
    sendAccepted(event.client_id);
    if (!state.sessionId) {
      history.pushState({}, "", url.chat(event.session_id));
      els.personaName.textContent = els.persona.selectedOptions[0]?.textContent || "";
      showSession({ id: event.session_id, title: sessionTitle(event.session_id) });
    }
  },
  utterance: (event) => {
    if (event.session_id === state.sessionId && event.utterance.seq > state.lastSeq && event.utterance.is_final) catchUp();
    if (event.session_id === state.sessionId && event.utterance.is_final) refreshGauge(); // the next prompt grew
  },
  "reply.start": (event) => { if (event.session_id === state.sessionId) replyBegin(); },
  "reply.delta": (event) => { if (event.session_id === state.sessionId) replyDelta(event.offset, event.text); },
  "reply.end": (event) => {
    if (event.session_id !== state.sessionId) return;
    catchUp().then(replyFinish);
  },
  "session.created": (event) => routeSession(event.session, { toTop: true }) || upsertSession(event.session, { toTop: true }),
  "session.activity": (event) => {
    if (!routeSession(event.session, { toTop: true })) upsertSession(event.session, { toTop: true });
    if (event.session.id === state.sessionId) showTitle(event.session.title);
  },
  "session.renamed": (event) => {
    upsertSession(event.session, { toTop: false });
    if (event.session.id === state.sessionId) showTitle(event.session.title);
  },
  // Pinned, archived or moved to the trash (or back): the sidebar lists live sessions, pinned ones in
  // their own group; a page showing a session moved to the trash opens a new chat.
  "session.updated": (event) => {
    const session = event.session;
    if (!routeSession(session)) placeSession(session);
    if (session.id !== state.sessionId) return;
    if (session.deleted_at) newChat();
    else showLifecycle({ pinned: Boolean(session.pinned_at), archived: Boolean(session.archived_at) });
  },
  // Chats an import brought in (or added messages to), each placed at its own last activity.
  "sessions.imported": (event) => { for (const session of event.sessions) if (!routeSession(session)) placeSession(session); },
  "session.head": (event) => {
    if (event.session_id === state.sessionId) { followHead(); refreshGauge(); }
    headMoved(event.session_id); // its search hits' "other version" notes
  },
  "session.cleared": (event) => { if (event.session_id === state.sessionId) { els.list.replaceChildren(); refreshGauge(); } },
  "session.deleted": (event) => sessionsGone(event.session_ids),
  // Moved to the trash by expiry (sessions idle past the owner's retention).
  "sessions.expired": (event) => sessionsGone(event.session_ids),
  "tags.changed": (event) => tagsChanged(event.tags),
  "sessions.tags": (event) => sessionsTags(event.sessions),
  // A folder created, changed or removed, here or in another tab: the tree again (folders.js).
  "folders.changed": () => refreshTree(),
  // A summary made or rewritten (docs/context.md): the gauge and "Earlier in this chat" read it again.
  "context.changed": (event) => { if (event.session_id === state.sessionId) refreshGauge(); },
  error: (event) => {
    if (event.ref === "send" && event.client_id) sendRefused(event.client_id, event.message);
    else if ((event.ref === "edit" || event.ref === "regenerate") && event.client_id) {
      branchRefused(event.client_id, event.message);
    } else if (event.ref === "switch") {
      state.switchFocus = null;
      showError(event.message);
    }
    else showError(event.message, { connection: event.code === "too_many_sockets" });
  },
};

// The page goes live: its events handled from now on, and the outbox sent again on every (re)open.
export function connect() {
  listen(handlers, { onOpen: sendOutbox });
  socket.connect();
}
