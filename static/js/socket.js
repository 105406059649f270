// A WebSocket that reconnects with backoff and queues what is sent while it is down.
const LEAVING_MS = 10000;

export class Socket {
  // onStatus(text) is told of a lost connection with a text of `messages` (reconnecting,
  // tooManyTabs), and "" once connected again.
  constructor(url, { onOpen, onEvent, onStatus, messages }) {
    this.url = url;
    this.messages = messages;
    this.onOpen = onOpen;
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.queue = [];
    this.delay = 500;
    this.ws = null;
    this.retry = null;
    // True for a while after this page starts going elsewhere (a form such as "Log out", a link;
    // a download starts the same way but the page stays).
    this.leaving = false;
    addEventListener("beforeunload", () => {
      this.leaving = true;
      setTimeout(() => { this.leaving = false; }, LEAVING_MS);
    });
  }

  connect() {
    clearTimeout(this.retry);
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.delay = 500;
      this.onStatus("");
      this.onOpen();
      while (this.queue.length && this.ws.readyState === WebSocket.OPEN) this.ws.send(this.queue.shift());
    });
    ws.addEventListener("message", (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      this.onEvent(event);
    });
    ws.addEventListener("close", (closed) => {
      if (ws !== this.ws) return; // close() ended it, or it was replaced since
      if (closed.code === 4401) {
        // The login has ended: log in again (drafts are kept in this browser). Not while the page
        // is on its way elsewhere, as when its own "Log out" closed the socket; if it is still
        // here after that, it goes.
        const toLogin = () => location.assign(`/accounts/login/?next=${encodeURIComponent(location.pathname)}`);
        if (this.leaving) setTimeout(toLogin, LEAVING_MS);
        else toLogin();
        return;
      }
      if (closed.code === 4429) {
        // Too many tabs or programs connected for this account: try again slowly.
        this.onStatus(this.messages.tooManyTabs);
        this.retry = setTimeout(() => this.connect(), 30000);
        return;
      }
      this.onStatus(this.messages.reconnecting);
      this.retry = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    });
  }

  // Closed for good (no reconnecting); connect() opens it again.
  close() {
    clearTimeout(this.retry);
    this.queue = [];
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  // Sent now, or queued until the socket opens.
  send(message) {
    if (!this.sendNow(message)) this.queue.push(JSON.stringify(message));
  }

  // Sent now, or not at all (false): for what the caller keeps and sends again itself.
  sendNow(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }
}
