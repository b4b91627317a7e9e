/** `waymark replay FILE`: run the sightings pipeline over a btsnoop capture. */
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { CliCommand } from '../command.js';
import { parseConfig, loadConfig } from '../../core/config.js';
import { WaymarkError } from '../../core/errors.js';
import { replayCapture } from '../../kiosk/replay.js';
import { formatSummary } from './summary.js';

export const replayCommand: CliCommand = {
  name: 'replay',
  summary: 'Run the sightings pipeline over a btsnoop HCI capture as fast as possible and summarize it',
  positionals: ['file'],
  options: {
    json: { type: 'boolean', description: 'print the summary as one JSON object' },
    sessions: { type: 'boolean', description: 'print every closed session as a JSON line' },
    config: { type: 'string', description: 'kiosk config whose sightings settings (filter, gap, threshold) to use' },
    'gap-s': { type: 'string', description: 'session gap timeout, seconds (overrides the config)' },
    'tau-s': { type: 'string', description: 'EMA filter time constant, seconds (overrides the config)' },
  },
  usage: `Captures come from 'btmon -w FILE', Android's HCI snoop log, or 'waymark demo --capture FILE'.
Examples:
  waymark replay venue.btsnoop --json
  waymark replay venue.btsnoop --sessions --tau-s 2 --gap-s 20`,
  async run({ values, positionals }, io) {
    const file = positionals[0];
    if (!file) throw new WaymarkError('WAYMARK_ERR_USAGE', 'replay needs a capture FILE');
    const path = resolve(io.cwd, file);
    if (!existsSync(path)) throw new WaymarkError('WAYMARK_ERR_USAGE', `no such file: ${file}`);
    const base = values.config ? loadConfig(resolve(io.cwd, values.config as string), io.env) : parseConfig({}, {});
    const raw = structuredClone(base) as any;
    if (values['gap-s'] !== undefined) raw.sightings.sessionGapS = numberFlag('gap-s', values['gap-s'] as string);
    if (values['tau-s'] !== undefined) raw.sightings.filter = { kind: 'ema', timeConstantS: numberFlag('tau-s', values['tau-s'] as string) };
    const config = parseConfig(raw, {});
    const summary = await replayCapture(path, {
      config,
      onSessionClosed: values.sessions ? (s) => io.stdout(JSON.stringify(s) + '\n') : undefined,
    });
    io.stdout(values.json ? JSON.stringify(summary) + '\n' : formatSummary(summary));
    return 0;
  },
};

export function numberFlag(name: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new WaymarkError('WAYMARK_ERR_USAGE', `--${name} must be a number, got '${text}'`);
  return n;
}
