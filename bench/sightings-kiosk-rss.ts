/**
 * The production kiosk's steady RSS: `waymark kiosk start` in a child process, as systemd runs
 * it, on the simulated venue (`radio.adapter: "virtual"`: the venue's traffic as HCI bytes into
 * a virtual controller, read by the same scanner, pipeline, store, beacon and HTTP server as on
 * a Pi), sampled from /proc/<pid>/status once a second. Steady = the median of the samples in
 * the second half of the run (start-up, JIT and the venue's warm-up take the first 20-30 s).
 * The child runs compiled JavaScript, as a kiosk runs dist/: the modules `cli/waymark.ts`
 * reaches, transpiled one by one with esbuild into node_modules/.cache (inside the repo, so
 * packages resolve as from dist/). With tsx (the sources, no build) the same kiosk takes about
 * 35 MB more: tsx's loader thread and caches. The simulated venue runs in the same process, so
 * the figure is an upper bound.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BenchFigure } from './types.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILD_DIR = join(REPO, 'node_modules', '.cache', 'waymark-bench-kiosk');

/** Transpiles the modules the CLI reaches (not bundled: one .js per .ts, as tsc lays out dist/). */
async function buildKiosk(): Promise<string> {
  const scan = await build({
    entryPoints: [join(REPO, 'cli', 'waymark.ts')], bundle: true, packages: 'external', platform: 'node', format: 'esm',
    target: 'node20', write: false, metafile: true, logLevel: 'silent',
  });
  const inputs = Object.keys(scan.metafile!.inputs).filter((f) => f.endsWith('.ts')).map((f) => join(REPO, relative(REPO, join(REPO, f))));
  rmSync(BUILD_DIR, { recursive: true, force: true });
  await build({ entryPoints: inputs, outbase: REPO, outdir: BUILD_DIR, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent' });
  writeFileSync(join(BUILD_DIR, 'package.json'), JSON.stringify({ type: 'module', version: '0.0.0-bench' }));
  return join(BUILD_DIR, 'cli', 'waymark.js');
}

function rssMbOf(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

export async function kioskSteadyRss(quick: boolean): Promise<BenchFigure> {
  const seconds = quick ? 60 : 120;
  const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-kiosk-'));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({
    venue: { name: 'Bench venue' }, dataDir: dir, radio: { adapter: 'virtual' }, http: { host: '127.0.0.1', port: 0 },
  }));
  const entry = await buildKiosk();
  const child = spawn(process.execPath, [entry, 'kiosk', 'start', '--config', config], {
    cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, WAYMARK_LOG_LEVEL: 'warn' },
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const samples: number[] = [];
  try {
    for (let i = 0; i < seconds && child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const rss = rssMbOf(child.pid!);
      if (rss !== null) samples.push(rss);
    }
    if (child.exitCode !== null) throw new Error(`the kiosk exited with ${child.exitCode}: ${stderr.slice(-500)}`);
  } finally {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    rmSync(BUILD_DIR, { recursive: true, force: true });
  }
  const steady = samples.slice(Math.floor(samples.length / 2)).sort((a, b) => a - b);
  return {
    bench: 'sightings.kiosk_rss_mb', value: steady[Math.floor(steady.length / 2)] ?? NaN, unit: 'MB', goal: 100, better: 'lower',
    maxMb: Math.max(...samples), firstMb: samples[0], everyTenthMb: samples.filter((_, i) => i % 10 === 9), samples: samples.length, seconds,
    method: 'median RSS of `waymark kiosk start` compiled to JavaScript (radio.adapter virtual: simulated venue, beacon, HTTP) in the second half of the run, sampled every second',
  };
}
