// What any JSON body must be before we act on it, whatever its schema says: no deeper than a
// provider ever nests it, and no text Postgres cannot store (a NUL, or half of a UTF-16 surrogate
// pair, which JSON may carry as \u0000 or \ud800 but text and jsonb columns refuse), in values and
// keys alike. Checked without recursion, so a body nested 10,000 deep is refused, not a stack overflow.

/** Retell, Stripe and Cal.com nest their payloads fewer than 10 levels; 64 leaves room for metadata. */
export const MAX_JSON_DEPTH = 64;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why Postgres could not store `text`, or null when it can. */
export function textProblem(text: string): string | null {
  if (text.includes("\u0000")) return "contains a NUL character";
  if (LONE_SURROGATE.test(text)) return "contains a lone UTF-16 surrogate";
  return null;
}

/** The first thing in a parsed JSON value that we refuse (with where it is), or null. */
export function jsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | null {
  const pending: { node: unknown; path: string; depth: number }[] = [{ node: value, path: "", depth: 0 }];
  while (pending.length > 0) {
    const { node, path, depth } = pending.pop()!;
    const where = path || "body";
    if (typeof node === "string") {
      const problem = textProblem(node);
      if (problem) return `${where}: ${problem}`;
      continue;
    }
    if (node === null || typeof node !== "object") continue;
    if (depth >= maxDepth) return `${where}: nested more than ${maxDepth} levels deep`;
    for (const [key, child] of Object.entries(node)) {
      const problem = textProblem(key);
      if (problem) return `${where}: a field name ${problem}`;
      pending.push({ node: child, path: path ? `${path}.${key}` : key, depth: depth + 1 });
    }
  }
  return null;
}

/** `text` with what Postgres cannot store replaced by U+FFFD and cut to `max` characters, for records of what we refused. */
export function storableText(text: string, max = 500): string {
  return text.replace(/\u0000/g, "\ufffd").replace(new RegExp(LONE_SURROGATE.source, "g"), "\ufffd").slice(0, max);
}
