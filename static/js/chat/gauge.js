// The context gauge in the chat's header (docs/context.md, "Usage shown"): how much of the model's
// context the next reply's prompt takes ("3.1k of 8k"), as GET .../context/ answers it, and whether
// a summary stands for earlier messages. Refreshed when the chat opens, after each message and
// when its context changes (live.js); hidden for a new chat.
import { refreshContext, onContext } from "./context.js";
import { $, label, state } from "./page.js";

const gauge = {
  box: $("context-gauge"), meter: $("context-meter"), text: $("context-gauge-text"),
  summary: $("context-gauge-summary"),
};
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
  gauge.box.title = gauge.meter.getAttribute("aria-valuetext") + (context.summary ? ` ${label("gaugeSummary")}` : "");
  gauge.summary.hidden = !context.summary;
  gauge.box.dataset.prompt = String(prompt);
  gauge.box.hidden = false;
}

// The open chat's context read again (for the summary block too: context.js).
export function refreshGauge() {
  if (!state.sessionId) { hideGauge(); return Promise.resolve(null); }
  return refreshContext();
}

export function hideGauge() {
  gauge.box.hidden = true;
}

onContext(show);
