// The context gauge in the chat's header (docs/context.md, "Usage shown"): how much of the model's
// context the next reply's prompt takes ("3.1k of 8k"), as GET .../context/ answers it, and whether
// a summary stands for earlier messages. Refreshed when the chat opens, after each message and
// when its context changes (live.js); hidden for a new chat.
import { $, api, label, state, url } from "./page.js";

const gauge = {
  box: $("context-gauge"), meter: $("context-meter"), text: $("context-gauge-text"),
  summary: $("context-gauge-summary"),
};
let inFlight = null; // the read under way, and whether another is wanted after it
let again = false;

// Tokens as models name their contexts: k is 1,024 (8,192 is "8k"), one decimal under 10k.
export function shortTokens(n) {
  if (n < 1024) return String(n);
  const k = n / 1024;
  return k < 10 ? `${Math.round(k * 10) / 10}k` : `${Math.round(k)}k`;
}

function show(context) {
  const { prompt, budget, context_max: max } = context.tokens;
  gauge.meter.max = max;
  gauge.meter.high = Math.round(budget * 0.8); // past this the oldest messages soon fall out
  gauge.meter.value = prompt;
  gauge.meter.setAttribute("aria-valuetext", label("gaugeValue", {
    used: prompt.toLocaleString("en"), max: max.toLocaleString("en"), budget: budget.toLocaleString("en"),
  }));
  gauge.text.textContent = label("gaugeText", { used: shortTokens(prompt), max: shortTokens(max) });
  gauge.summary.hidden = !context.summary;
  gauge.box.dataset.prompt = String(prompt);
  gauge.box.hidden = false;
}

// The open chat's context read again; calls while a read is under way make one more after it.
export async function refreshGauge() {
  if (inFlight) { again = true; return inFlight; }
  const id = state.sessionId;
  if (!id) { hideGauge(); return null; }
  inFlight = api("GET", url.context(id))
    .then((context) => { if (id === state.sessionId) show(context); })
    .catch(() => { /* a chat gone or the server away: the gauge keeps its last reading */ })
    .finally(() => {
      inFlight = null;
      if (again) { again = false; refreshGauge(); }
    });
  return inFlight;
}

export function hideGauge() {
  gauge.box.hidden = true;
}
