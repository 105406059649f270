// The page's one socket (docs/websocket.md), which every part sends through. What its events do to
// the page is live.js's, handed over with listen(): live.js imports the parts, and the parts import
// this module, never live.js, so that imports go one way.
import { Socket } from "../socket.js";
import { els, labels, showError, state, url } from "./page.js";

const listener = { handlers: {}, onOpen: () => {} };

// handlers: a function per event type; onOpen: what is done on every (re)connection, after the open
// session's "open".
export function listen(handlers, { onOpen }) {
  listener.handlers = handlers;
  listener.onOpen = onOpen;
}

export const socket = new Socket(url.socket, {
  onOpen: () => {
    if (state.sessionId) socket.send({ type: "open", session_id: state.sessionId });
    listener.onOpen();
    document.documentElement.dataset.live = "true"; // connected: events reach this page from now on
  },
  onEvent: (event) => listener.handlers[event.type]?.(event),
  onStatus: (text) => {
    if (text) document.documentElement.dataset.live = "false";
    if (text) showError(text, { connection: true });
    else if (els.error.dataset.connection === "true") showError(""); // the connection's own notice
  },
  messages: { reconnecting: labels.reconnecting, tooManyTabs: labels.tooManyTabs },
});
