// The account page's export: start it without leaving the page, then follow it to the download.
import { JobFollower } from "./job.js";
import { fill, humanSize } from "./words.js";

const config = JSON.parse(document.getElementById("account-config").textContent);
const $ = (id) => document.getElementById(id);
const els = {
  form: $("export-form"), status: $("export-status"), progress: $("export-progress"), download: $("export-download"),
  start: $("export").dataset.startUrl,
};

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function call(method, target) {
  const response = await fetch(target, {
    method, credentials: "same-origin", headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || `The server answered ${response.status}.`);
  return body;
}

function text(state) {
  const progress = state.progress;
  const values = {
    done: progress.sessions_done, total: progress.sessions_total ?? "…", utterances: progress.utterances,
    size: humanSize(state.size), hours: config.hours, error: state.error,
  };
  return fill(config.texts[state.status], values);
}

function show(state) {
  els.status.textContent = text(state);
  const going = state.status === "queued" || state.status === "running";
  els.progress.hidden = !going;
  els.progress.max = state.progress.sessions_total || 1;
  els.progress.value = state.progress.sessions_done;
  els.download.hidden = !state.download;
  if (state.download) els.download.href = state.download;
  // aria-disabled, not disabled: a disabled button loses the keyboard focus to the page's body.
  els.form.querySelector("button").setAttribute("aria-disabled", String(going));
  return going;
}

const job = new JobFollower({
  socketPath: config.socket, event: config.event, key: config.key, show,
  onError: (error) => { els.status.textContent = error.message; },
});

els.form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (els.form.querySelector("button").getAttribute("aria-disabled") === "true") return;
  try {
    const state = await call("POST", els.start);
    show(state);
    job.follow(state.id, `${els.start}${state.id}/`);
  } catch (error) {
    els.status.textContent = error.message;
  }
});

if (config.status === "queued" || config.status === "running") job.follow(config.id, config.statusUrl);
