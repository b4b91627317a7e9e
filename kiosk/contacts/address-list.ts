/**
 * The published address list of contact matching: what a diagnosed visitor's phone gives
 * the authority (S0: every random address it used in the past 14 days). One address per
 * line, `AA:BB:CC:DD:EE:FF`, optionally `,fromUnix,toUnix` (when the phone used it, seconds);
 * blank lines and `#` comments are skipped. Every bad line is named.
 */
import { WaymarkError } from '../../core/errors.js';

export interface PublishedAddress {
  /** Lowercase `aa:bb:cc:dd:ee:ff`, as the sightings pipeline hashes it. */
  address: string;
  /** When the phone used the address, Unix seconds (both or neither). */
  from?: number;
  to?: number;
  /** 1-based line (or item) it came from. */
  line: number;
}

/** At most this many addresses in one list (14 days x 96 rotations is 1,344). */
export const MAX_PUBLISHED_ADDRESSES = 5000;

const ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const UNIX = /^\d{1,12}$/;

/** Parses list lines (file lines, or the items of a signed request). */
export function parseAddressList(lines: readonly string[]): PublishedAddress[] {
  const out: PublishedAddress[] = [];
  const bad: { line: number; problem: string }[] = [];
  lines.forEach((raw, i) => {
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    const line = i + 1;
    const parts = text.split(',').map((p) => p.trim());
    if (parts.length !== 1 && parts.length !== 3) return void bad.push({ line, problem: `expected ADDRESS or ADDRESS,fromUnix,toUnix, got ${parts.length} fields` });
    const [address, fromText, toText] = parts as [string, string?, string?];
    if (!ADDRESS.test(address)) return void bad.push({ line, problem: `'${address.slice(0, 40)}' is not an address like AA:BB:CC:DD:EE:FF` });
    if (parts.length === 1) return void out.push({ address: address.toLowerCase(), line });
    if (!UNIX.test(fromText!) || !UNIX.test(toText!)) return void bad.push({ line, problem: `from and to must be Unix seconds, got '${fromText}', '${toText}'` });
    const from = Number(fromText);
    const to = Number(toText);
    if (from > to) return void bad.push({ line, problem: `from ${from} is after to ${to}` });
    out.push({ address: address.toLowerCase(), from, to, line });
  });
  if (bad.length) {
    const shown = bad.slice(0, 5).map((b) => `line ${b.line}: ${b.problem}`).join('; ');
    throw new WaymarkError('WAYMARK_ERR_CONTACTS_ADDRESSES', `${bad.length} bad line(s): ${shown}${bad.length > 5 ? `; and ${bad.length - 5} more` : ''}`, { details: { lines: bad } });
  }
  if (out.length === 0) throw new WaymarkError('WAYMARK_ERR_CONTACTS_ADDRESSES', 'no addresses in the list', { details: { lines: [] } });
  if (out.length > MAX_PUBLISHED_ADDRESSES) {
    throw new WaymarkError('WAYMARK_ERR_CONTACTS_ADDRESSES', `${out.length} addresses, at most ${MAX_PUBLISHED_ADDRESSES}`, { details: { lines: [] } });
  }
  return out;
}
