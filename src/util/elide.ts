// Error messages quote what the caller sent (paths into a query, field names). A hostile or
// generated document can make those arbitrarily long; an error a person reads stays short,
// keeping its start (what went wrong where) and its end (the innermost detail). Pure.

/** `text` unchanged when it has at most `max` characters, else its head, "…" and its tail. */
export function elideMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const keep = Math.max(0, max - 1);
  const head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (keep - head))}`;
}
