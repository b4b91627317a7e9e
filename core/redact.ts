/**
 * Secrets that must not leave the kiosk in a response or a log line: an RPC URL's
 * credentials, path and query (providers put API keys in all three).
 */

/** `https://user:key@host:8545/v2/KEY?apikey=x` -> `https://host:8545/…`; not a URL -> `(hidden)`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const rest = u.pathname !== '/' || u.search || u.hash ? '/…' : '';
    return `${u.protocol}//${u.host}${rest}`;
  } catch {
    return '(hidden)';
  }
}

/** Replaces every occurrence of each secret (and its URL-decoded or -encoded form) in `text`. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    const shown = /^[a-z]+:\/\//i.test(secret) ? redactUrl(secret) : '(hidden)';
    for (const form of new Set([secret, safeDecode(secret), encodeURI(secret)])) {
      if (form && out.includes(form)) out = out.split(form).join(shown);
    }
  }
  return out;
}

/** A deep copy of a log argument with secrets scrubbed from every string (errors included). */
export function scrubValue(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value, secrets);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const copy: Record<string, unknown> = { type: value.name, message: scrubText(value.message, secrets) };
    if (value.stack) copy.stack = scrubText(value.stack, secrets);
    for (const [k, v] of Object.entries(value)) copy[k] = scrubValue(v, secrets, depth + 1);
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, secrets, depth + 1);
  return out;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURI(text);
  } catch {
    return undefined;
  }
}
