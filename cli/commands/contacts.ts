/**
 * `waymark contacts match`: at the kiosk (or on a copy of its data dir), when were a
 * diagnosed visitor's published BLE addresses here, and how many other devices overlapped
 * them: aggregates only, never another device's hash. The work is in kiosk/contacts/; its
 * visits print as `waymark authority report` command lines.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { booleanFlag, intFlag, numberFlag, stringFlag, urlFlag, usage } from '../flags.js';
import { WaymarkError, isErrorCode } from '../../core/errors.js';
import { assertVenueGeohash } from '../../contracts/validate.js';
import { CONTACTS_REQUEST_TYPE, signContactsRequest } from '../../kiosk/contacts/signed-request.js';
import { readSignerKey } from './authority.js';
import { ENV } from '../../core/paths.js';
import { loadConfig } from '../../core/config.js';
import { STORE_FILE } from '../../core/paths.js';
import { openDatabase } from '../../kiosk/store/database.js';
import { parseAddressList } from '../../kiosk/contacts/address-list.js';
import { DEFAULT_CONTACT_KINDS, matchContacts, type ContactMatchResult, type OverlapAggregate } from '../../kiosk/contacts/match.js';

const ALL_KINDS = ['public', 'static', 'resolvable', 'non-resolvable', 'reserved'];

const utc = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

function describeOverlap(o: OverlapAggregate): string {
  if (o.sessions === 0) return 'no other session overlapped';
  return `${o.sessions} other session(s) overlapped: ${o.overlapS.total} s in all, median ${o.overlapS.median} s (min ${o.overlapS.min}, max ${o.overlapS.max}); `
    + `${o.sessionsAtLeast['10min']} for >= 10 min, ${o.sessionsAtLeast['15min']} for >= 15 min; their mean RSSI ${o.rssiMean!.min}..${o.rssiMean!.max} dBm (median ${o.rssiMean!.median})`;
}

function describe(r: ContactMatchResult): string {
  const lines = [
    `${r.windows.length} window(s) of ${r.addresses.matched} of ${r.addresses.published} published address(es); `
      + `days searched: ${r.days.searched.length ? `${r.days.searched[0]}..${r.days.searched[r.days.searched.length - 1]}` : 'none'}`
      + `${r.days.withoutSalt.length ? `; no salt (past retention or never here): ${r.days.withoutSalt.join(', ')}` : ''}`,
  ];
  for (const w of r.windows) {
    lines.push(`${w.address}  ${utc(w.from)} .. ${utc(w.to)}  (${w.from}..${w.to})  RSSI mean ${w.rssiMean} dBm (min ${w.rssiMin}, max ${w.rssiMax}), ${w.samples} samples, record ${w.record}`);
    lines.push(`    ${describeOverlap(w.overlapping)}`);
  }
  if (r.windows.length) {
    lines.push(`all windows together (kinds ${r.kinds.join(', ')}): ${describeOverlap(r.overlapping)}`);
    lines.push('visits, as exposure reports:');
    for (const v of r.visits) lines.push(`  ${v.report}    # ${utc(v.from)} .. ${utc(v.to)}, ${v.windows} window(s)`);
  }
  return lines.join('\n') + '\n';
}

const matchCommand: CliCommand = {
  name: 'contacts match',
  summary: "Find when published BLE addresses were at this kiosk (hashed with the day salts still held) and who overlapped them, in aggregate",
  options: {
    'data-dir': { type: 'string', description: `the kiosk data dir holding ${STORE_FILE} (the store, with its salts)` },
    addresses: { type: 'string', description: 'FILE: one AA:BB:CC:DD:EE:FF per line, optionally ,fromUnix,toUnix' },
    venue: { type: 'string', description: "venue id for the printed 'authority report' lines (default: the --config's chain.venueId)" },
    config: { type: 'string', description: 'kiosk config: venue id and sightings.visitorKinds' },
    'merge-gap-s': { type: 'string', description: 'windows closer than this make one visit / report, seconds (default 900)' },
    'all-kinds': { type: 'boolean', description: 'count overlapping sessions of every address kind (default: the visitor kinds)' },
    json: { type: 'boolean', description: 'print one JSON object: { windows: [{ address, from, to, rssiMean, ..., overlapping }], overlapping, visits, ... }' },
  },
  usage: `Only aggregates of the other sessions are printed (counts, overlap seconds, RSSI statistics),
never another device's hash. Days whose salt was destroyed (past retention) cannot be matched
and are listed. Times are Unix seconds. Each visit prints the 'waymark authority report'
line that reports it. See docs/RISK.md.
Examples:
  waymark contacts match --data-dir /var/lib/waymark --addresses alice.txt --venue 12
  waymark replay venue.btsnoop --data-dir ./replayed && waymark contacts match --data-dir ./replayed --addresses alice.txt --json`,
  async run({ values }, io) {
    const dataDir = resolve(io.cwd, stringFlag(values, 'data-dir', { required: 'DIR' }));
    const storePath = join(dataDir, STORE_FILE);
    if (!existsSync(storePath)) usage(`--data-dir: no store at ${storePath}`, 'data-dir');
    const listFile = resolve(io.cwd, stringFlag(values, 'addresses', { required: 'FILE' }));
    if (!existsSync(listFile)) usage(`--addresses: no such file: ${stringFlag(values, 'addresses')}`, 'addresses');
    const published = parseAddressList(readFileSync(listFile, 'utf8').split(/\r?\n/));
    const configFile = stringFlag(values, 'config');
    const config = configFile ? loadConfig(resolve(io.cwd, configFile), io.env) : undefined;
    const venueId = intFlag(values, 'venue', { min: 1, max: Number.MAX_SAFE_INTEGER }) ?? config?.chain.venueId;
    const mergeGapS = numberFlag(values, 'merge-gap-s', { min: 0, max: 86_400, unit: 'seconds' });
    const kinds = booleanFlag(values, 'all-kinds') ? ALL_KINDS : config?.sightings.visitorKinds ?? DEFAULT_CONTACT_KINDS;
    const db = openDatabase(storePath);
    try {
      const result = matchContacts(db, published, { kinds, venueId, mergeGapS });
      io.stdout(booleanFlag(values, 'json') ? JSON.stringify(result) + '\n' : describe(result));
    } finally {
      db.close();
    }
    return 0;
  },
};

const askCommand: CliCommand = {
  name: 'contacts ask',
  summary: "The region authority asks a kiosk over HTTP when published BLE addresses were there (a signed request; aggregates back)",
  options: {
    kiosk: { type: 'string', description: "the kiosk's base URL, e.g. https://kiosk-12.example.org/" },
    addresses: { type: 'string', description: 'FILE: one AA:BB:CC:DD:EE:FF per line, optionally ,fromUnix,toUnix' },
    geohash: { type: 'string', description: "the kiosk's venue cell (default: read from the kiosk's /v1/status)" },
    venue: { type: 'string', description: 'venue id, checked by the kiosk when given' },
    'merge-gap-s': { type: 'string', description: 'windows closer than this make one visit, seconds (default 900)' },
    'key-file': { type: 'string', description: "a region authority's key FILE (above the venue): a JSON keystore or a 0600 hex key" },
    'passphrase-file': { type: 'string', description: `passphrase of the keystore (else $${ENV.OPERATOR_KEY_PASSPHRASE}, else asked on the terminal)` },
    json: { type: 'boolean', description: "print the kiosk's answer as one JSON object" },
  },
  usage: `Signs { type, venue, timestamp, addresses } with the authority key (EIP-191, docs/RISK.md) and
POSTs it to <kiosk>/v1/contacts/match. The kiosk checks the signature, the time (5 min), the
venue and, on chain, that the signer holds a region above the venue; it answers with the
addresses' windows, aggregates of who overlapped them and the 'authority report' lines.
A refusal prints its code (WAYMARK_ERR_CONTACTS_SIGNATURE, _NOT_AUTHORITY, ...) and exits 1.
  waymark contacts ask --kiosk https://kiosk-12.example.org/ --addresses alice.txt --key-file region.json`,
  async run({ values }, io) {
    const base = urlFlag(values, 'kiosk', { required: 'URL' })!;
    const listFile = resolve(io.cwd, stringFlag(values, 'addresses', { required: 'FILE' }));
    if (!existsSync(listFile)) usage(`--addresses: no such file: ${stringFlag(values, 'addresses')}`, 'addresses');
    const lines = readFileSync(listFile, 'utf8').split(/\r?\n/);
    parseAddressList(lines); // named errors before anything is signed
    const venueId = intFlag(values, 'venue', { min: 1, max: Number.MAX_SAFE_INTEGER });
    const mergeGapS = numberFlag(values, 'merge-gap-s', { min: 0, max: 86_400, unit: 'seconds' });
    const key = await readSignerKey(values, io, 'key-file', 'passphrase-file', 'authority keystore');
    const url = (path: string) => new URL(path, base.endsWith('/') ? base : base + '/').toString();
    const call = async (path: string, init?: RequestInit): Promise<{ status: number; body: any }> => {
      let res: Response;
      try {
        res = await fetch(url(path), { ...init, signal: AbortSignal.timeout(30_000) });
      } catch (err) {
        throw new WaymarkError('WAYMARK_ERR_KIOSK_UNREACHABLE', `${url(path)}: ${(err as Error).message}`);
      }
      const text = await res.text();
      try {
        return { status: res.status, body: JSON.parse(text) };
      } catch {
        throw new WaymarkError('WAYMARK_ERR_KIOSK_UNREACHABLE', `${url(path)} answered HTTP ${res.status} without JSON`);
      }
    };
    let geohash = stringFlag(values, 'geohash');
    if (geohash === undefined) {
      const status = await call('v1/status');
      geohash = status.body?.venue?.geohash;
      if (typeof geohash !== 'string') throw new WaymarkError('WAYMARK_ERR_KIOSK_UNREACHABLE', `${url('v1/status')} did not say the venue's geohash; pass --geohash`);
    }
    assertVenueGeohash(geohash, 'geohash');
    const signed = await signContactsRequest(key, {
      type: CONTACTS_REQUEST_TYPE, venue: { geohash, ...(venueId !== undefined ? { venueId } : {}) },
      timestamp: Math.floor(Date.now() / 1000), addresses: lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('#')),
      ...(mergeGapS !== undefined ? { mergeGapS } : {}),
    });
    const r = await call('v1/contacts/match', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signed) });
    if (r.status !== 200) {
      const code = r.body?.error?.code;
      const message = r.body?.error?.message ?? `HTTP ${r.status}`;
      io.stderr(`waymark contacts ask: the kiosk refused: ${isErrorCode(code) ? code : `HTTP ${r.status}`}: ${message}\n`);
      if (booleanFlag(values, 'json')) io.stdout(JSON.stringify(r.body) + '\n');
      return 1;
    }
    io.stdout(booleanFlag(values, 'json') ? JSON.stringify(r.body) + '\n' : describe(r.body as ContactMatchResult));
    return 0;
  },
};

export const contactsCommands: CliCommand[] = [matchCommand, askCommand];
