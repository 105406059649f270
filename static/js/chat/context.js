// The open chat's context as the next reply's model sees it (GET .../context/, docs/context.md),
// read once for every part that shows it: the gauge (gauge.js) and "Earlier in this chat"
// (summary.js) each register a reader. Calls while a read is under way make one more after it.
import { api, config, state } from "./page.js";

const readers = [];
let inFlight = null;
let again = false;

export function onContext(reader) {
  readers.push(reader);
}

export function refreshContext() {
  if (inFlight) { again = true; return inFlight; }
  const id = state.sessionId;
  if (!id) return Promise.resolve(null);
  inFlight = api("GET", config.urls.sessionContext.replace(config.idPlaceholder, id))
    .then((context) => { if (id === state.sessionId) for (const reader of readers) reader(context, id); })
    .catch(() => { /* a chat gone or the server away: what is shown keeps its last reading */ })
    .finally(() => {
      inFlight = null;
      if (again) { again = false; refreshContext(); }
    });
  return inFlight;
}
