/** `waymark replay FILE`: run the sightings pipeline over a btsnoop capture. */
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { CliCommand } from '../command.js';
import { parseConfig, loadConfig } from '../../core/config.js';
import { STORE_FILE } from '../../core/paths.js';
import { replayCapture } from '../../kiosk/replay.js';
import { booleanFlag, positiveNumberFlag, stringFlag, usage } from '../flags.js';
import { formatSummary } from './summary.js';

export const replayCommand: CliCommand = {
  name: 'replay',
  summary: 'Run the sightings pipeline over a btsnoop HCI capture as fast as possible and summarize it',
  positionals: ['file'],
  options: {
    json: { type: 'boolean', description: 'print the summary as one JSON object' },
    sessions: { type: 'boolean', description: 'print every closed session as a JSON line' },
    visits: { type: 'boolean', description: 'print every closed visit as a JSON line {firstSeen, lastSeen, dwellMs, addresses} (ms since the epoch)' },
    config: { type: 'string', description: 'kiosk config whose sightings settings (filter, gap, threshold) to use' },
    'gap-s': { type: 'string', description: 'session gap timeout, seconds (overrides the config)' },
    'tau-s': { type: 'string', description: 'EMA filter time constant, seconds (overrides the config)' },
    'data-dir': { type: 'string', description: `keep the store the replay builds in DIR/${STORE_FILE}, with the salts of the capture's days (for 'waymark contacts match')` },
  },
  usage: `Captures come from 'btmon -w FILE', Android's HCI snoop log, or 'waymark demo --capture FILE'.
Examples:
  waymark replay venue.btsnoop --json
  waymark replay venue.btsnoop --sessions --tau-s 2 --gap-s 20
  waymark replay venue.btsnoop --visits > visits.jsonl
  waymark replay venue.btsnoop --data-dir ./replayed   (then: waymark contacts match --data-dir ./replayed ...)`,
  async run({ values, positionals }, io) {
    const file = positionals[0];
    if (!file) usage('replay needs a capture FILE');
    const path = resolve(io.cwd, file);
    if (!existsSync(path)) usage(`no such file: ${file}`);
    const configFile = stringFlag(values, 'config');
    const gapS = positiveNumberFlag(values, 'gap-s', { unit: 'seconds' });
    const tauS = positiveNumberFlag(values, 'tau-s', { unit: 'seconds' });
    const sessions = booleanFlag(values, 'sessions');
    const visits = booleanFlag(values, 'visits');
    const dataDir = stringFlag(values, 'data-dir');
    const storePath = dataDir === undefined ? undefined : join(resolve(io.cwd, dataDir), STORE_FILE);
    const base = configFile ? loadConfig(resolve(io.cwd, configFile), io.env) : parseConfig({}, {});
    const raw = structuredClone(base) as any;
    if (gapS !== undefined) raw.sightings.sessionGapS = gapS;
    if (tauS !== undefined) raw.sightings.filter = { kind: 'ema', timeConstantS: tauS };
    const config = parseConfig(raw, {});
    const summary = await replayCapture(path, {
      config,
      storePath,
      onSessionClosed: (s) => {
        // Ctrl-C or a closed stdout (`--sessions | head`) ends the replay here
        io.signal.throwIfAborted();
        if (sessions) io.stdout(JSON.stringify(s) + '\n');
      },
      onVisitClosed: (v) => {
        io.signal.throwIfAborted();
        if (visits) io.stdout(JSON.stringify({ firstSeen: v.firstSeen, lastSeen: v.lastSeen, dwellMs: v.dwellMs, addresses: v.addresses }) + '\n');
      },
    });
    const out = storePath === undefined ? summary : { ...summary, store: storePath };
    io.stdout(booleanFlag(values, 'json') ? JSON.stringify(out) + '\n' : formatSummary(out));
    return 0;
  },
};
