/**
 * The fleet indexer's Ponder config: one chain, one WaymarkRegistry, PGlite unless
 * DATABASE_URL names a Postgres. Values come from the environment (fleet/settings.ts).
 */
import { createConfig } from 'ponder';
import artifact from '../contracts/artifacts/WaymarkRegistry.json';
import { fleetSettings } from './settings';

const s = fleetSettings();

// The event ABI only; `as const` typing is not needed at runtime.
const abi = artifact.abi as unknown as readonly Record<string, unknown>[];

export default createConfig({
  database: s.databaseUrl
    ? { kind: 'postgres', connectionString: s.databaseUrl }
    : { kind: 'pglite', ...(s.pgliteDir ? { directory: s.pgliteDir } : {}) },
  chains: {
    waymark: { id: s.chainId, rpc: s.rpc, pollingInterval: s.pollingMs, disableCache: s.chainId === 31337 },
  },
  contracts: {
    WaymarkRegistry: { chain: 'waymark', abi: abi as never, address: s.registry, startBlock: s.fromBlock },
  },
});
