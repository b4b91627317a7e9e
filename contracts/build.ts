/**
 * Compiles contracts/src with the pinned solc-js (offline) into deterministic artifacts in
 * contracts/artifacts/ at build time (`npm run build`, and on install), and loads them
 * read-only at runtime: a missing or stale artifact set is an error, never a rebuild.
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

/**
 * Where a contracts tree lives: `src/` (Solidity) and `artifacts/` (JSON) beneath it.
 * Defaults to this package's contracts/; tests point it at a copy.
 */
export interface ContractsDirOptions {
  contractsDir?: string;
}

const SETTINGS = {
  optimizer: { enabled: true, runs: 10_000 },
  evmVersion: 'cancun',
  metadata: { bytecodeHash: 'none' },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
} as const;

const FIX = 'run `npm run build`';

interface Solc {
  version(): string;
  compile(input: string, callbacks?: { import: (path: string) => { contents: string } | { error: string } }): string;
}

type Sources = Record<string, { content: string }>;

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(path));
    else if (entry.name.endsWith('.sol')) out.push(path);
  }
  return out.sort();
}

/** Source unit names are paths relative to contracts/, with forward slashes. */
function readSources(contractsDir: string): Sources {
  const sources: Sources = {};
  for (const path of listSources(join(contractsDir, 'src'))) {
    sources[relative(contractsDir, path).split(sep).join('/')] = { content: readFileSync(path, 'utf8') };
  }
  return sources;
}

/** The installed solc-js version (its package.json only: solc itself is not loaded). */
function solcVersion(): string {
  return (require('solc/package.json') as { version: string }).version;
}

/** What the manifest records: compiler version, settings and every source, hashed. */
function hashSources(sources: Sources, version: string): string {
  const h = createHash('sha256');
  h.update(`solc ${version}\n${JSON.stringify(SETTINGS)}\n`);
  for (const name of Object.keys(sources).sort()) h.update(`${name}\n${sources[name].content}\n`);
  return h.digest('hex');
}

/** Resolves local paths, then `@openzeppelin/...` (and any other package import) from node_modules. */
function importResolver(contractsDir: string): (path: string) => { contents: string } | { error: string } {
  return (path) => {
    try {
      const local = join(contractsDir, path);
      if (existsSync(local)) return { contents: readFileSync(local, 'utf8') };
      return { contents: readFileSync(require.resolve(path), 'utf8') };
    } catch {
      return { error: `import not found: ${path}` };
    }
  };
}

function readManifest(artifactsDir: string): BuildManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(artifactsDir, 'manifest.json'), 'utf8')) as BuildManifest;
  } catch {
    return undefined;
  }
}

function readArtifacts(artifactsDir: string): Record<ContractName, ContractArtifact> {
  const out = {} as Record<ContractName, ContractArtifact>;
  for (const name of CONTRACT_NAMES) {
    out[name] = JSON.parse(readFileSync(join(artifactsDir, `${name}.json`), 'utf8')) as ContractArtifact;
  }
  return out;
}

function artifactsPresent(artifactsDir: string): boolean {
  return CONTRACT_NAMES.every((name) => existsSync(join(artifactsDir, `${name}.json`)));
}

function manifestText(manifest: BuildManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

function artifactText(artifact: ContractArtifact): string {
  return `${JSON.stringify(artifact, null, 2)}\n`;
}

// --- runtime: read only --------------------------------------------------------------

/**
 * Reads the artifacts without compiling or writing anything. Throws
 * WAYMARK_ERR_CONTRACTS_MISSING when the manifest or an artifact is absent or unreadable,
 * and WAYMARK_ERR_CONTRACTS_STALE when the Solidity sources (if shipped alongside) no
 * longer hash to the manifest's sourceHash. The hash uses the manifest's solc version, so
 * solc-js is never loaded here; a compiler upgrade alone is the build's business.
 */
export function loadArtifacts(opts: ContractsDirOptions = {}): Record<ContractName, ContractArtifact> {
  const contractsDir = opts.contractsDir ?? CONTRACTS_DIR;
  const artifactsDir = join(contractsDir, 'artifacts');
  const manifest = readManifest(artifactsDir);
  if (!manifest || typeof manifest.sourceHash !== 'string' || typeof manifest.solcVersion !== 'string') {
    throw new WaymarkError('WAYMARK_ERR_CONTRACTS_MISSING', `no readable manifest.json in ${artifactsDir}; ${FIX}`, {
      details: { artifactsDir },
    });
  }
  const sourcesDir = join(contractsDir, 'src');
  if (existsSync(sourcesDir)) {
    const sourceHash = hashSources(readSources(contractsDir), manifest.solcVersion);
    if (sourceHash !== manifest.sourceHash) {
      throw new WaymarkError('WAYMARK_ERR_CONTRACTS_STALE', `${sourcesDir} changed since ${artifactsDir} was built; ${FIX}`, {
        details: { sourcesDir, artifactsDir, manifestHash: manifest.sourceHash, sourceHash },
      });
    }
  }
  const out = {} as Record<ContractName, ContractArtifact>;
  for (const name of CONTRACT_NAMES) {
    const path = join(artifactsDir, `${name}.json`);
    let artifact: ContractArtifact | undefined;
    try {
      artifact = JSON.parse(readFileSync(path, 'utf8')) as ContractArtifact;
    } catch (cause) {
      throw new WaymarkError('WAYMARK_ERR_CONTRACTS_MISSING', `${path} is absent or unreadable; ${FIX}`, { details: { path }, cause });
    }
    if (!manifest.contracts?.includes(name) || artifact?.contractName !== name || !Array.isArray(artifact.abi)) {
      throw new WaymarkError('WAYMARK_ERR_CONTRACTS_MISSING', `${path} is not the ${name} artifact of this build; ${FIX}`, {
        details: { path },
      });
    }
    out[name] = artifact;
  }
  return out;
}

let cached: Record<ContractName, ContractArtifact> | undefined;

/** The artifacts for the helpers: contracts/artifacts, loaded once per process (read only). */
export function getArtifacts(): Record<ContractName, ContractArtifact> {
  cached ??= loadArtifacts();
  return cached;
}

export function getArtifact(name: ContractName): ContractArtifact {
  return getArtifacts()[name];
}

// --- build time: compile and write ---------------------------------------------------

/** Compiles every source and returns the artifacts; throws with solc's messages on errors. */
export function compileContracts(sources?: Sources, opts: ContractsDirOptions = {}): Record<ContractName, ContractArtifact> {
  const contractsDir = opts.contractsDir ?? CONTRACTS_DIR;
  const solc = require('solc') as Solc;
  const input = { language: 'Solidity', sources: sources ?? readSources(contractsDir), settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: importResolver(contractsDir) })) as {
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
 * contracts/artifacts/*.json and manifest.json, and returns the artifacts. Build time only.
 */
export function buildContracts(opts: { force?: boolean } & ContractsDirOptions = {}): BuildResult {
  const contractsDir = opts.contractsDir ?? CONTRACTS_DIR;
  const artifactsDir = join(contractsDir, 'artifacts');
  const sources = readSources(contractsDir);
  const sourceHash = hashSources(sources, solcVersion());
  const previous = readManifest(artifactsDir);
  if (!opts.force && previous?.sourceHash === sourceHash && artifactsPresent(artifactsDir)) {
    return { compiled: false, manifest: previous, artifacts: readArtifacts(artifactsDir) };
  }
  const artifacts = compileContracts(sources, { contractsDir });
  const manifest: BuildManifest = { solcVersion: solcVersion(), sourceHash, contracts: [...CONTRACT_NAMES] };
  mkdirSync(artifactsDir, { recursive: true });
  for (const name of CONTRACT_NAMES) writeFileSync(join(artifactsDir, `${name}.json`), artifactText(artifacts[name]));
  writeFileSync(join(artifactsDir, 'manifest.json'), manifestText(manifest));
  return { compiled: true, manifest, artifacts };
}

/**
 * Recompiles in memory and lists the files on disk that differ (or are missing), the
 * manifest included (a comment-only source edit leaves the bytecode alone but makes the
 * runtime refuse the artifacts): the check CI runs to keep the committed artifacts honest.
 */
export function checkArtifacts(opts: ContractsDirOptions = {}): { stale: (ContractName | 'manifest')[] } {
  const contractsDir = opts.contractsDir ?? CONTRACTS_DIR;
  const artifactsDir = join(contractsDir, 'artifacts');
  const sources = readSources(contractsDir);
  const fresh = compileContracts(sources, { contractsDir });
  const stale: (ContractName | 'manifest')[] = [];
  const differs = (path: string, expected: string) => !existsSync(path) || readFileSync(path, 'utf8') !== expected;
  for (const name of CONTRACT_NAMES) {
    if (differs(join(artifactsDir, `${name}.json`), artifactText(fresh[name]))) stale.push(name);
  }
  const manifest: BuildManifest = { solcVersion: solcVersion(), sourceHash: hashSources(sources, solcVersion()), contracts: [...CONTRACT_NAMES] };
  if (differs(join(artifactsDir, 'manifest.json'), manifestText(manifest))) stale.push('manifest');
  return { stale };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const started = Date.now();
  if (!existsSync(SOURCES_DIR)) {
    // An install without Solidity sources (a packaged tree) can only use what it ships.
    loadArtifacts();
    process.stdout.write(`contracts: no sources in ${SOURCES_DIR}; using the shipped artifacts\n`);
  } else if (process.argv.includes('--check')) {
    const { stale } = checkArtifacts();
    process.stdout.write(stale.length === 0 ? 'contracts: artifacts match the sources\n' : `contracts: stale artifacts: ${stale.join(', ')}; run npm run build\n`);
    process.exitCode = stale.length === 0 ? 0 : 1;
  } else {
    const result = buildContracts({ force: process.argv.includes('--force') });
    const what = result.compiled ? `compiled with solc ${result.manifest.solcVersion}` : 'up to date';
    process.stdout.write(`contracts: ${result.manifest.contracts.join(', ')} ${what} (${Date.now() - started} ms)\n`);
  }
}
