/**
 * `npm run bench -- [group ...] [--json] [--quick]`: runs every benchmark group or the
 * named ones and prints their figures (one JSON object per line with --json).
 */
import { parseArgs } from 'node:util';
import type { BenchFigure, BenchGroup } from './types.js';

const GROUPS: Record<string, () => Promise<BenchGroup>> = {
  sightings: async () => (await import('./sightings.js')).group,
  beacon: async () => (await import('./beacon.js')).group,
  gas: async () => (await import('./gas.js')).group,
  checkin: async () => (await import('./checkin.js')).group,
  'exposure-report': async () => (await import('./exposure.js')).group,
  exposure: async () => (await import('./exposure-match.js')).group,
  risk: async () => (await import('./risk.js')).group,
  ring: async () => (await import('./ring.js')).group,
  fleet: async () => (await import('./fleet.js')).group,
};

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { json: { type: 'boolean' }, quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(`Usage: npm run bench -- [group ...] [--json] [--quick]\nGroups: ${Object.keys(GROUPS).join(', ')}\n`);
    return 0;
  }
  const names = positionals.length ? positionals : Object.keys(GROUPS);
  const unknown = names.filter((n) => !(n in GROUPS));
  if (unknown.length) {
    process.stderr.write(`unknown bench group(s): ${unknown.join(', ')} (WAYMARK_ERR_USAGE); groups: ${Object.keys(GROUPS).join(', ')}\n`);
    return 2;
  }
  const log = (line: string) => void process.stderr.write(line + '\n');
  const all: BenchFigure[] = [];
  for (const name of names) {
    const group = await GROUPS[name]!();
    log(`# ${name}`);
    for (const fig of await group.run({ quick: values.quick === true, log })) {
      all.push(fig);
      if (values.json) process.stdout.write(JSON.stringify(fig) + '\n');
      else process.stdout.write(formatFigure(fig) + '\n');
    }
  }
  return 0;
}

function formatFigure(f: BenchFigure): string {
  const goal = f.goal === undefined ? '' : `  (goal ${f.better === 'lower' ? '≤' : '≥'} ${f.goal.toLocaleString('en')} ${f.unit}: ${meets(f) ? 'met' : 'NOT met'})`;
  return `${f.bench.padEnd(28)} ${formatValue(f.value).padStart(14)} ${f.unit}${goal}`;
}

function meets(f: BenchFigure): boolean {
  return f.better === 'lower' ? f.value <= f.goal! : f.value >= f.goal!;
}

function formatValue(v: number): string {
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en') : String(Math.round(v * 1000) / 1000);
}

process.exitCode = await main();
