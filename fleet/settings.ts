/**
 * What the fleet indexer is pointed at, read once from the environment that `waymark fleet
 * serve` (cli/commands/fleet.ts) hands the Ponder process. Every name is defined here only.
 */
export const FLEET_ENV = {
  rpc: 'WAYMARK_FLEET_RPC',
  chainId: 'WAYMARK_FLEET_CHAIN_ID',
  registry: 'WAYMARK_FLEET_REGISTRY',
  fromBlock: 'WAYMARK_FLEET_FROM_BLOCK',
  pgliteDir: 'WAYMARK_FLEET_PGLITE_DIR',
  pollingMs: 'WAYMARK_FLEET_POLLING_MS',
  batchIntervalS: 'WAYMARK_FLEET_BATCH_INTERVAL_S',
  silentAfter: 'WAYMARK_FLEET_SILENT_AFTER',
  /** Postgres instead of the embedded PGlite (Ponder's own name). */
  databaseUrl: 'DATABASE_URL',
} as const;

export interface FleetSettings {
  rpc: string;
  chainId: number;
  registry: `0x${string}`;
  fromBlock: number;
  pgliteDir?: string;
  databaseUrl?: string;
  pollingMs: number;
  /** A kiosk's expected batch interval, s; silent after `silentAfter` of them. */
  batchIntervalS: number;
  silentAfter: number;
}

function num(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${name} must be a non-negative number, got ${raw}`);
  return n;
}

export function fleetSettings(env: NodeJS.ProcessEnv = process.env): FleetSettings {
  const rpc = env[FLEET_ENV.rpc];
  const registry = env[FLEET_ENV.registry];
  if (!rpc) throw new TypeError(`${FLEET_ENV.rpc} is not set`);
  if (!registry || !/^0x[0-9a-fA-F]{40}$/.test(registry)) throw new TypeError(`${FLEET_ENV.registry} must be a 0x address, got ${registry}`);
  return {
    rpc,
    chainId: num(env, FLEET_ENV.chainId, 31337),
    registry: registry as `0x${string}`,
    fromBlock: num(env, FLEET_ENV.fromBlock, 0),
    pgliteDir: env[FLEET_ENV.pgliteDir] || undefined,
    databaseUrl: env[FLEET_ENV.databaseUrl] || undefined,
    pollingMs: num(env, FLEET_ENV.pollingMs, 1000),
    batchIntervalS: num(env, FLEET_ENV.batchIntervalS, 600),
    silentAfter: num(env, FLEET_ENV.silentAfter, 3),
  };
}
