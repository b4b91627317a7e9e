/**
 * `npm run fuzz -- [--runs N] [--seed S] [--only TEXT] [--list]`: runs every fuzz property
 * with its share of N inputs (default: the properties' own counts, 1,000,000 in all), prints
 * inputs and seconds per property and a total, and exits 1 with fast-check's counterexample,
 * seed and replay path when any property fails.
 */
import { parseArgs } from 'node:util';
import { checkFuzzProperty, type FuzzOutcome } from './harness.js';
import { DEFAULT_TOTAL_RUNS, FUZZ_PROPERTIES } from './index.js';

const USAGE = `Usage: npm run fuzz -- [--runs N] [--seed S] [--only TEXT] [--list]
  --runs N     inputs in total, shared out in proportion to each property's default (default ${DEFAULT_TOTAL_RUNS.toLocaleString('en')})
  --seed S     fast-check seed (default: random, printed so a failure can be replayed)
  --only TEXT  only the properties whose name contains TEXT (e.g. hci:, beacon:)
  --list       list the properties and their default runs
`;

function positiveInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < (name === 'seed' ? -0x80000000 : 1)) throw new Error(`--${name} must be an integer, got ${JSON.stringify(text)}`);
  return n;
}

async function main(): Promise<number> {
  let values;
  let runs: number;
  let seed: number;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: { runs: { type: 'string' }, seed: { type: 'string' }, only: { type: 'string' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
    runs = positiveInteger('runs', values.runs, DEFAULT_TOTAL_RUNS);
    seed = positiveInteger('seed', values.seed, (Date.now() ^ (Math.random() * 0x7fffffff)) | 0);
  } catch (err) {
    process.stderr.write(`${(err as Error).message} (WAYMARK_ERR_USAGE)\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const selected = FUZZ_PROPERTIES.filter((p) => values.only === undefined || p.name.includes(values.only));
  if (values.list) {
    for (const p of FUZZ_PROPERTIES) process.stdout.write(`${p.runs.toLocaleString('en').padStart(9)}  ${p.name}\n`);
    process.stdout.write(`${DEFAULT_TOTAL_RUNS.toLocaleString('en').padStart(9)}  total\n`);
    return 0;
  }
  if (selected.length === 0) {
    process.stderr.write(`no property matches ${JSON.stringify(values.only)} (WAYMARK_ERR_USAGE)\n`);
    return 2;
  }
  const share = selected.reduce((n, p) => n + p.runs, 0);
  process.stdout.write(`fuzz: ${selected.length} properties, ${runs.toLocaleString('en')} inputs, seed ${seed}\n`);
  const outcomes: FuzzOutcome[] = [];
  for (const p of selected) {
    const numRuns = Math.max(1, Math.round((runs * p.runs) / share));
    const outcome = await checkFuzzProperty(p, numRuns, seed);
    outcomes.push(outcome);
    const rate = outcome.ms > 0 ? Math.round((outcome.runs * 1000) / outcome.ms).toLocaleString('en') : '-';
    process.stdout.write(`${outcome.failure ? 'FAIL' : 'ok  '} ${outcome.runs.toLocaleString('en').padStart(9)} inputs ${(outcome.ms / 1000).toFixed(1).padStart(6)} s ${rate.padStart(8)}/s  ${p.name}\n`);
    if (outcome.failure) process.stdout.write(`${outcome.failure}\n\n`);
  }
  const failed = outcomes.filter((o) => o.failure);
  const inputs = outcomes.reduce((n, o) => n + o.runs, 0);
  const seconds = outcomes.reduce((n, o) => n + o.ms, 0) / 1000;
  process.stdout.write(`total: ${inputs.toLocaleString('en')} inputs in ${seconds.toFixed(1)} s, ${outcomes.length - failed.length} of ${outcomes.length} properties held (seed ${seed})\n`);
  if (failed.length > 0) {
    process.stdout.write(`failed: ${failed.map((o) => o.name).join('; ')}\nreplay: npm run fuzz -- --seed ${seed} --runs ${runs} --only '<name>'\n`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
