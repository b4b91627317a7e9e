/**
 * `waymark contacts match`: at the kiosk (or on a copy of its data dir), when were a
 * diagnosed visitor's published BLE addresses here, and how many other devices overlapped
 * them: aggregates only, never another device's hash. The work is in kiosk/contacts/; its
 * visits print as `waymark authority report` command lines.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { booleanFlag, intFlag, numberFlag, stringFlag, usage } from '../flags.js';
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

export const contactsCommands: CliCommand[] = [matchCommand];
