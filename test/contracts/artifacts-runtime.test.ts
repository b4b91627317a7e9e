/**
 * Runtime loading of the contract artifacts: read only (no solc, no writes, fine under
 * systemd's ProtectSystem=strict), and a clear coded error when they are missing or stale.
 */
import t, { type Test } from 'tap';
import fs, { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWaymarkError } from '../../core/errors.js';
import { ARTIFACTS_DIR, CONTRACTS_DIR, CONTRACT_NAMES, getArtifact, getArtifacts, loadArtifacts } from '../../contracts/build.js';

const require = createRequire(import.meta.url);

/** Every fs call that could create or change a file, counted while `fn` runs. */
function forbidWrites<T>(fn: () => T): { result: T; writes: string[] } {
  const names = ['writeFileSync', 'appendFileSync', 'mkdirSync', 'renameSync', 'copyFileSync', 'cpSync', 'rmSync', 'unlinkSync', 'openSync'] as const;
  const table = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = new Map(names.map((n) => [n, table[n]]));
  const writes: string[] = [];
  for (const n of names) {
    table[n] = (...args: unknown[]) => {
      // openSync for reading is fine; any other flag is a write.
      if (n === 'openSync' && (args[1] === undefined || args[1] === 'r')) return originals.get(n)!(...args);
      writes.push(`${n}(${String(args[0])})`);
      throw new Error(`write attempted: ${n}`);
    };
  }
  syncBuiltinESMExports();
  try {
    return { result: fn(), writes };
  } finally {
    for (const n of names) table[n] = originals.get(n)!;
    syncBuiltinESMExports();
  }
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    out[name] = `${statSync(path).mtimeMs} ${readFileSync(path, 'utf8').length}`;
  }
  return out;
}

/** A private copy of contracts/{src,artifacts} to break on purpose. */
function copyContracts(t: Test, opts: { sources?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-contracts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  if (opts.sources !== false) cpSync(join(CONTRACTS_DIR, 'src'), join(dir, 'src'), { recursive: true });
  cpSync(ARTIFACTS_DIR, join(dir, 'artifacts'), { recursive: true });
  return dir;
}

t.test('the write guard sees writes through named node:fs imports', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-guard-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { writes } = forbidWrites(() => {
    try { writeFileSync(join(dir, 'x'), 'x'); } catch { /* expected */ }
  });
  t.equal(writes.length, 1);
});

t.test('loading the committed artifacts reads only', async (t) => {
  const before = snapshot(ARTIFACTS_DIR);
  const { result, writes } = forbidWrites(() => getArtifacts());
  t.same(writes, [], 'no fs writes');
  t.same(snapshot(ARTIFACTS_DIR), before, 'no artifact changed (mtime, size)');
  t.same(Object.keys(result), CONTRACT_NAMES);
  t.match(getArtifact('WaymarkRegistry').bytecode, /^0x[0-9a-f]{100,}$/);
  t.equal(getArtifacts(), result, 'loaded once per process');
});

t.test('a copy with its sources loads the same artifacts, read only', async (t) => {
  const dir = copyContracts(t);
  const before = snapshot(join(dir, 'artifacts'));
  const { result, writes } = forbidWrites(() => loadArtifacts({ contractsDir: dir }));
  t.same(writes, []);
  t.same(snapshot(join(dir, 'artifacts')), before);
  t.same(result, getArtifacts());
});

t.test('a source changed after the build is a stale-artifacts error naming the fix', async (t) => {
  const dir = copyContracts(t);
  appendFileSync(join(dir, 'src', 'WaymarkRegistry.sol'), '\n// edited after the build\n');
  const before = snapshot(join(dir, 'artifacts'));
  const { result: err, writes } = forbidWrites(() => {
    try {
      loadArtifacts({ contractsDir: dir });
      return undefined;
    } catch (e) {
      return e;
    }
  });
  t.ok(isWaymarkError(err, 'WAYMARK_ERR_CONTRACTS_STALE'), String(err));
  t.match((err as Error).message, /npm run build/);
  t.same(writes, [], 'no rebuild attempted');
  t.same(snapshot(join(dir, 'artifacts')), before);

  const added = copyContracts(t);
  writeFileSync(join(added, 'src', 'Extra.sol'), '// SPDX-License-Identifier: MIT\npragma solidity ^0.8.28;\ncontract Extra {}\n');
  t.throws(() => loadArtifacts({ contractsDir: added }), { code: 'WAYMARK_ERR_CONTRACTS_STALE' }, 'a new source counts too');
});

t.test('missing or unreadable artifacts are a missing-artifacts error naming the fix', async (t) => {
  const noManifest = copyContracts(t);
  rmSync(join(noManifest, 'artifacts', 'manifest.json'));
  t.throws(() => loadArtifacts({ contractsDir: noManifest }), { code: 'WAYMARK_ERR_CONTRACTS_MISSING', message: /npm run build/ });

  const noArtifact = copyContracts(t);
  rmSync(join(noArtifact, 'artifacts', 'WaymarkRegistry.json'));
  t.throws(() => loadArtifacts({ contractsDir: noArtifact }), { code: 'WAYMARK_ERR_CONTRACTS_MISSING', message: /WaymarkRegistry\.json.*npm run build/ });

  const truncated = copyContracts(t);
  writeFileSync(join(truncated, 'artifacts', 'S0City.json'), '{"contractName": "S0Ci');
  t.throws(() => loadArtifacts({ contractsDir: truncated }), { code: 'WAYMARK_ERR_CONTRACTS_MISSING' });

  const empty = mkdtempSync(join(tmpdir(), 'waymark-contracts-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  t.throws(() => loadArtifacts({ contractsDir: empty }), { code: 'WAYMARK_ERR_CONTRACTS_MISSING' });
});

t.test('a tree shipped without sources uses its artifacts as they are', async (t) => {
  const dir = copyContracts(t, { sources: false });
  t.same(loadArtifacts({ contractsDir: dir }), getArtifacts());
});

t.test('runtime loading never loads the compiler', async (t) => {
  const solcModules = Object.keys(require.cache).filter((k) => /[\\/]node_modules[\\/]solc[\\/]/.test(k));
  t.same(solcModules, []);
});
