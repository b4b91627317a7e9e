/**
 * Compiles contracts/src with the pinned solc-js from node_modules (offline) and writes
 * deterministic artifacts (abi + bytecode) to contracts/artifacts/; skipped when neither the
 * sources nor the compiler changed. Run as `node --import tsx contracts/build.ts`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WaymarkError } from '../core/errors.js';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

/** The contracts/ folder, whether this module runs from source or from dist/contracts. */
export const CONTRACTS_DIR = existsSync(join(here, 'src')) ? here : resolve(here, '../../contracts');
export const SOURCES_DIR = join(CONTRACTS_DIR, 'src');
export const ARTIFACTS_DIR = join(CONTRACTS_DIR, 'artifacts');

export type ContractName = 'WaymarkRegistry' | 'S0State' | 'S0County' | 'S0City' | 'S0Location';
export const CONTRACT_NAMES: readonly ContractName[] = ['WaymarkRegistry', 'S0State', 'S0County', 'S0City', 'S0Location'];

export interface ContractArtifact {
  contractName: ContractName;
  sourceName: string;
  abi: readonly Record<string, unknown>[];
  bytecode: string;
  deployedBytecode: string;
}

export interface BuildManifest {
  solcVersion: string;
  sourceHash: string;
  contracts: ContractName[];
}

export interface BuildResult {
  compiled: boolean;
  manifest: BuildManifest;
  artifacts: Record<ContractName, ContractArtifact>;
}

const SETTINGS = {
  optimizer: { enabled: true, runs: 10_000 },
  evmVersion: 'cancun',
  metadata: { bytecodeHash: 'none' },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
} as const;

interface Solc {
  version(): string;
  compile(input: string, callbacks?: { import: (path: string) => { contents: string } | { error: string } }): string;
}

function listSources(dir = SOURCES_DIR): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(path));
    else if (entry.name.endsWith('.sol')) out.push(path);
  }
  return out.sort();
}

/** Source unit names are paths relative to contracts/, with forward slashes. */
function unitName(path: string): string {
  return relative(CONTRACTS_DIR, path).split(sep).join('/');
}

function readSources(): Record<string, { content: string }> {
  const sources: Record<string, { content: string }> = {};
  for (const path of listSources()) sources[unitName(path)] = { content: readFileSync(path, 'utf8') };
  return sources;
}

function solcVersion(): string {
  return (require('solc/package.json') as { version: string }).version;
}

function hashSources(sources: Record<string, { content: string }>): string {
  const h = createHash('sha256');
  h.update(`solc ${solcVersion()}\n${JSON.stringify(SETTINGS)}\n`);
  for (const name of Object.keys(sources).sort()) h.update(`${name}\n${sources[name].content}\n`);
  return h.digest('hex');
}

/** Resolves `@openzeppelin/...` (and any other package import) from node_modules. */
function findImport(path: string): { contents: string } | { error: string } {
  try {
    const local = join(CONTRACTS_DIR, path);
    if (existsSync(local)) return { contents: readFileSync(local, 'utf8') };
    return { contents: readFileSync(require.resolve(path), 'utf8') };
  } catch {
    return { error: `import not found: ${path}` };
  }
}

function readManifest(): BuildManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(ARTIFACTS_DIR, 'manifest.json'), 'utf8')) as BuildManifest;
  } catch {
    return undefined;
  }
}

function readArtifacts(): Record<ContractName, ContractArtifact> {
  const out = {} as Record<ContractName, ContractArtifact>;
  for (const name of CONTRACT_NAMES) {
    out[name] = JSON.parse(readFileSync(join(ARTIFACTS_DIR, `${name}.json`), 'utf8')) as ContractArtifact;
  }
  return out;
}

function artifactsPresent(): boolean {
  return CONTRACT_NAMES.every((name) => existsSync(join(ARTIFACTS_DIR, `${name}.json`)));
}

/** Compiles every source and returns the artifacts; throws with solc's messages on errors. */
export function compileContracts(sources = readSources()): Record<ContractName, ContractArtifact> {
  const solc = require('solc') as Solc;
  const input = { language: 'Solidity', sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { abi: Record<string, unknown>[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new WaymarkError('WAYMARK_ERR_CHAIN_BUILD', errors.map((e) => e.formattedMessage).join('\n'));
  }
  const out = {} as Record<ContractName, ContractArtifact>;
  for (const [sourceName, contracts] of Object.entries(output.contracts ?? {})) {
    for (const [contractName, c] of Object.entries(contracts)) {
      if (!(CONTRACT_NAMES as readonly string[]).includes(contractName)) continue;
      out[contractName as ContractName] = {
        contractName: contractName as ContractName,
        sourceName,
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      };
    }
  }
  for (const name of CONTRACT_NAMES) {
    if (!out[name]) throw new WaymarkError('WAYMARK_ERR_CHAIN_BUILD', `contract ${name} not found in sources`);
  }
  return out;
}

/**
 * Compiles if the sources or the compiler changed since the last build (or `force`), writes
 * contracts/artifacts/*.json and returns the artifacts.
 */
export function buildContracts(opts: { force?: boolean } = {}): BuildResult {
  const sources = readSources();
  const sourceHash = hashSources(sources);
  const previous = readManifest();
  if (!opts.force && previous?.sourceHash === sourceHash && artifactsPresent()) {
    return { compiled: false, manifest: previous, artifacts: readArtifacts() };
  }
  const artifacts = compileContracts(sources);
  const manifest: BuildManifest = { solcVersion: solcVersion(), sourceHash, contracts: [...CONTRACT_NAMES] };
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  for (const name of CONTRACT_NAMES) {
    writeFileSync(join(ARTIFACTS_DIR, `${name}.json`), `${JSON.stringify(artifacts[name], null, 2)}\n`);
  }
  writeFileSync(join(ARTIFACTS_DIR, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { compiled: true, manifest, artifacts };
}

/**
 * Recompiles in memory and lists the artifacts on disk that differ (or are missing): the
 * check CI runs to keep the committed artifacts honest.
 */
export function checkArtifacts(): { stale: ContractName[] } {
  const fresh = compileContracts();
  const stale: ContractName[] = [];
  for (const name of CONTRACT_NAMES) {
    const path = join(ARTIFACTS_DIR, `${name}.json`);
    const expected = `${JSON.stringify(fresh[name], null, 2)}\n`;
    if (!existsSync(path) || readFileSync(path, 'utf8') !== expected) stale.push(name);
  }
  return { stale };
}

let cached: Record<ContractName, ContractArtifact> | undefined;

/**
 * The artifacts for the helpers: read from contracts/artifacts, compiled on demand when
 * missing or stale (when the Solidity sources are present, e.g. in a checkout or tests).
 */
export function getArtifacts(): Record<ContractName, ContractArtifact> {
  if (cached) return cached;
  if (existsSync(SOURCES_DIR)) cached = buildContracts().artifacts;
  else if (artifactsPresent()) cached = readArtifacts();
  else throw new WaymarkError('WAYMARK_ERR_CHAIN_BUILD', `no artifacts in ${ARTIFACTS_DIR}; run npm run build`);
  return cached;
}

export function getArtifact(name: ContractName): ContractArtifact {
  return getArtifacts()[name];
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const started = Date.now();
  if (process.argv.includes('--check')) {
    const { stale } = checkArtifacts();
    process.stdout.write(stale.length === 0 ? 'contracts: artifacts match the sources\n' : `contracts: stale artifacts: ${stale.join(', ')}\n`);
    process.exitCode = stale.length === 0 ? 0 : 1;
  } else {
    const result = buildContracts({ force: process.argv.includes('--force') });
    const what = result.compiled ? `compiled with solc ${result.manifest.solcVersion}` : 'up to date';
    process.stdout.write(`contracts: ${result.manifest.contracts.join(', ')} ${what} (${Date.now() - started} ms)\n`);
  }
}
