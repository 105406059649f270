// A background job followed on its page (the account export, an import): by its live event on the
// user's socket, and by polling its detail URL only while the socket is down. The socket is open
// only while a job is followed: a page with none going holds none of the account's socket slots.
// A page given no socket (the workers' events cannot reach its server: the embedded default)
// polls throughout.
import { Socket } from "./socket.js";

const POLL_MS = 1000;
const followers = new Set();
let socket = null;
let live = false;

// One socket for every job of the page. Once it is (again) connected, each job is read once, for
// what happened while it was down; from then on its events carry it.
function connect(path) {
  if (!path) return;
  if (socket) {
    if (!socket.ws) socket.connect();
    return;
  }
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
  socket = new Socket(url, {
    onOpen: () => {
      live = true;
      document.documentElement.dataset.live = "true";
      for (const follower of followers) follower.check();
    },
    onEvent: (event) => { for (const follower of followers) follower.heard(event); },
    onStatus: (text) => {
      if (!text || !live) return;
      live = false;
      document.documentElement.dataset.live = "false";
      for (const follower of followers) follower.check();
    },
    messages: { reconnecting: "reconnecting", tooManyTabs: "too many tabs" },
  });
  socket.connect();
}

// Once no job of the page is going, its socket closes.
function disconnectWhenIdle() {
  if (!socket || [...followers].some((follower) => follower.url)) return;
  socket.close();
  live = false;
  document.documentElement.dataset.live = "false";
}

async function getJson(target) {
  const response = await fetch(target, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || `The server answered ${response.status}.`);
  return body;
}

export class JobFollower {
  // `event` is the job's live event type and `key` where it carries the job's state (as the
  // detail URL answers it). show(state) shows it and says whether the job is still going;
  // onEnd(state) runs once it has ended; onError(error) is told of a detail URL that failed.
  constructor({ socketPath, event, key, show, onEnd = () => {}, onError = () => {} }) {
    Object.assign(this, { socketPath, event, key, show, onEnd, onError });
    this.id = null;
    this.url = null;
    this.timer = null;
    followers.add(this);
  }

  // Follow the job `id` (its detail at `url`) from its state now to its end.
  follow(id, url) {
    this.id = id;
    this.url = url;
    connect(this.socketPath);
    this.check();
  }

  // Read the job's state now; again in a second while the socket is down.
  async check() {
    if (!this.url) return;
    clearTimeout(this.timer);
    const url = this.url;
    let state;
    try {
      state = await getJson(url);
    } catch (error) {
      this.onError(error);
      this.timer = setTimeout(() => this.check(), POLL_MS * 5);
      return;
    }
    if (url !== this.url) return; // following another job since
    this.update(state);
    if (this.url && !live) this.timer = setTimeout(() => this.check(), POLL_MS);
  }

  heard(event) {
    if (event.type === this.event && this.url && event[this.key]?.id === this.id) this.update(event[this.key]);
  }

  update(state) {
    if (this.show(state)) return;
    this.url = null;
    clearTimeout(this.timer);
    disconnectWhenIdle();
    this.onEnd(state);
  }
}
