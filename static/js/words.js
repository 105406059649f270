// The account page's texts filled in, as account_data/views.py's fill() and human_size() write
// them into the page: `{name}` is a value, `{name:one:many}` a count with its noun ("1 chat",
// "2 chats"); sizes in decimal units ("< 1 KB", "12 KB", "2.5 MB").
export function fill(text, values) {
  return text.replace(/\{(\w+)(?::([^:{}]*):([^:{}]*))?\}/g, (_, name, one, many) => {
    const shown = values[name] ?? "";
    if (one === undefined) return String(shown);
    return `${shown} ${shown === 1 ? one : many}`;
  });
}

export function humanSize(size) {
  const bytes = size || 0;
  if (bytes < 1000) return "< 1 KB";
  if (bytes < 999_500) return `${Math.round(bytes / 1e3)} KB`;
  const [amount, unit] = bytes < 999_500_000 ? [bytes / 1e6, "MB"] : [bytes / 1e9, "GB"];
  return amount < 9.95 ? `${(Math.round(amount * 10) / 10).toFixed(1)} ${unit}` : `${Math.round(amount)} ${unit}`;
}

// The parts of a summary whose count is above zero, filled in and joined ("3 chats brought in,
// 1 failed"); "" when every count is zero. `parts` maps each count's name to its text.
export function countsSaid(parts, values) {
  return Object.entries(parts)
    .filter(([name]) => values[name] > 0)
    .map(([, text]) => fill(text, values))
    .join(", ");
}
