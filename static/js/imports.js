// The account page's import: upload a file (with its own progress), follow the job to its end, then
// show what became of each chat. The job goes on if the page is left; coming back follows it again.
import { JobFollower } from "./job.js";
import { countsSaid, fill } from "./words.js";

const config = JSON.parse(document.getElementById("import-config").textContent);
const $ = (id) => document.getElementById(id);
const els = {
  form: $("import-form"), file: $("import-file"), format: $("import-format"), status: $("import-status"),
  progress: $("import-progress"), report: $("import-report"), rows: $("import-report").querySelector("tbody"),
  more: $("import-report-more"), button: $("import-form").querySelector("button[type=submit]"),
};
// Each cell carries its column's name, shown before it when the table is stacked on a phone.
const LABELS = [...els.report.querySelectorAll("thead th")].map((th) => th.textContent.trim());
const RESULTS = { imported: "Imported", updated: "Updated with new messages", present: "Already here", failed: "Failed" };
// A chat already here, or one that failed, counts the messages this import stored: none.
const NOTHING_STORED = new Set(["present", "failed"]);
let nextReport = null;

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function getJson(target) {
  const response = await fetch(target, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || `The server answered ${response.status}.`);
  return body;
}

// A finished import names only its counts above zero; a stopped one what it brought in, if anything.
function said(key, values) {
  const texts = config.texts;
  if (key === "done") {
    const parts = countsSaid(texts.parts, values);
    return parts ? fill(texts.done, { ...values, parts }) : fill(texts.doneEmpty, values);
  }
  if (key === "failed") return fill(texts.failed, values) + (values.imported > 0 ? fill(texts.failedAfter, values) : "");
  return fill(texts[key], values);
}

function say(key, values) {
  els.status.textContent = said(key, values);
}

// aria-disabled, not disabled: a disabled button loses the keyboard focus to the page's body.
function busy(going) {
  els.button.setAttribute("aria-disabled", String(going));
  els.progress.hidden = !going;
}

// The upload, by XMLHttpRequest: fetch() cannot tell how much of a body has been sent.
function upload(file, format) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", config.url);
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("X-CSRFToken", csrfToken());
    request.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      els.progress.max = event.total;
      els.progress.value = event.loaded;
      say("uploading", { file: file.name, percent: Math.floor((100 * event.loaded) / event.total) });
    });
    request.addEventListener("load", () => {
      let body = {};
      try { body = JSON.parse(request.responseText); } catch { /* an error page: said below */ }
      if (request.status === 202) resolve(body);
      else reject(new Error(body.detail || `The server answered ${request.status}.`));
    });
    request.addEventListener("error", () => reject(new Error("The upload was cut off: check your connection and try again.")));
    const data = new FormData();
    data.append("file", file);
    if (format) data.append("format", format);
    request.send(data);
  });
}

function show(state) {
  const { progress, summary } = state;
  const values = {
    file: state.file_name || "the file", done: progress.conversations_done, utterances: progress.utterances,
    imported: summary.imported, present: summary.present, failed: summary.failed, skipped: summary.skipped_turns,
    error: state.error,
  };
  say(state.status, values);
  const going = state.status === "queued" || state.status === "running";
  busy(going);
  if (progress.conversations_total) {
    els.progress.max = progress.conversations_total;
    els.progress.value = progress.conversations_done;
  } else {
    els.progress.max = progress.bytes_total || 1;
    els.progress.value = progress.bytes_done;
  }
  return going;
}

function reportRow(row) {
  const item = document.createElement("tr");
  const chat = document.createElement("td");
  const name = row.title || row.source_id || "Untitled chat";
  if (row.session_id) {
    const link = document.createElement("a");
    link.href = config.chatUrl.replace("00000000-0000-0000-0000-000000000000", row.session_id);
    link.textContent = name;
    chat.append(link);
  } else {
    chat.textContent = name;
  }
  const result = document.createElement("td");
  result.textContent = RESULTS[row.result] + (row.error ? `: ${row.error}` : "");
  result.className = `import-${row.result}`;
  const count = document.createElement("td");
  if (row.utterances || !NOTHING_STORED.has(row.result)) {
    count.textContent = row.utterances;
  } else {
    // Not "0", which reads as an empty chat: this import added nothing to it.
    const dash = document.createElement("span");
    dash.setAttribute("aria-hidden", "true");
    dash.textContent = "—";
    const said = document.createElement("span");
    said.className = "visually-hidden";
    said.textContent = config.texts.noneAdded;
    count.append(dash, said);
  }
  const cells = [chat, result, count];
  cells.forEach((cell, index) => { cell.dataset.label = LABELS[index]; });
  item.append(...cells);
  return item;
}

async function loadReport(target) {
  const page = await getJson(target);
  els.rows.append(...page.results.map(reportRow));
  nextReport = page.next;
  els.more.hidden = !nextReport;
  els.report.hidden = false;
}

async function reportAfter(state) {
  if (!state.progress.conversations_done) return;
  els.rows.replaceChildren();
  try {
    await loadReport(`${config.url}${state.id}/report/`);
  } catch (error) {
    els.status.textContent = error.message;
    setTimeout(() => reportAfter(state), 5000);
  }
}

const job = new JobFollower({
  socketPath: config.socket, event: config.event, key: config.key, show, onEnd: reportAfter,
  onError: (error) => { els.status.textContent = error.message; },
});

function follow(id) {
  job.follow(id, `${config.url}${id}/`);
}

els.form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = els.file.files[0];
  if (!file || els.button.getAttribute("aria-disabled") === "true") return;
  els.report.hidden = true;
  busy(true);
  try {
    const state = await upload(file, els.format.value);
    els.form.reset();
    show(state);
    follow(state.id);
  } catch (error) {
    busy(false);
    els.status.textContent = error.message;
  }
});

els.more.addEventListener("click", () => {
  if (nextReport) loadReport(nextReport).catch((error) => { els.status.textContent = error.message; });
});

if (config.latest) {
  show(config.latest);
  follow(config.latest.id);
}
