/**
 * Turns what ethers throws (a revert carrying one of the registry's custom errors, a dead
 * RPC endpoint, a call to an address without code) into a WaymarkError with a named code,
 * the revert's name and its arguments.
 */
import { Interface, type ErrorDescription } from 'ethers';
import { WaymarkError, isWaymarkError, type ErrorCode } from '../core/errors.js';
import { getArtifact } from './build.js';

/** Custom error name (WaymarkRegistry and the S0 baseline) -> Waymark error code. */
export const REVERT_CODES: Readonly<Record<string, ErrorCode>> = {
  NotAdmin: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED',
  NotRegionAuthority: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED',
  NotVenueOperator: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED',
  NotAuthorizedKiosk: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED',
  NotOwner: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED',
  NotParent: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED',
  UnknownVenue: 'WAYMARK_ERR_CHAIN_UNKNOWN_VENUE',
  BatchAlreadyCommitted: 'WAYMARK_ERR_CHAIN_SEQ_REPLAY',
  SeqOutOfOrder: 'WAYMARK_ERR_CHAIN_SEQ_GAP',
  KioskAlreadyAuthorized: 'WAYMARK_ERR_CHAIN_CONFLICT',
  BeaconIdTaken: 'WAYMARK_ERR_CHAIN_CONFLICT',
  NotInfected: 'WAYMARK_ERR_CHAIN_CONFLICT',
  EmptyBatch: 'WAYMARK_ERR_CHAIN_BAD_BATCH',
  InvalidBatchTimeRange: 'WAYMARK_ERR_CHAIN_BAD_BATCH',
  InvalidGeohashLength: 'WAYMARK_ERR_GEOHASH_INVALID',
  InvalidGeohashCharacter: 'WAYMARK_ERR_GEOHASH_INVALID',
  InvalidExposureWindow: 'WAYMARK_ERR_EXPOSURE_WINDOW',
  ExposureWindowExpired: 'WAYMARK_ERR_EXPOSURE_WINDOW',
  ZeroAddress: 'WAYMARK_ERR_BAD_REQUEST',
  InvalidCapacityPolicy: 'WAYMARK_ERR_CAPACITY_POLICY_INVALID',
  NoCapacityPolicy: 'WAYMARK_ERR_CAPACITY_NO_POLICY',
  NotOverCapacity: 'WAYMARK_ERR_CAPACITY_CROSSING',
  StillOverCapacity: 'WAYMARK_ERR_CAPACITY_CROSSING',
  CrossingTooShort: 'WAYMARK_ERR_CAPACITY_CROSSING',
  InvalidCrossingTime: 'WAYMARK_ERR_CAPACITY_CROSSING',
  AlreadyOverCapacity: 'WAYMARK_ERR_CAPACITY_CROSSING',
  NotReportedOverCapacity: 'WAYMARK_ERR_CAPACITY_CROSSING',
};

let registryInterface: Interface | undefined;
function registryErrors(): Interface {
  registryInterface ??= new Interface(getArtifact('WaymarkRegistry').abi as never);
  return registryInterface;
}

const NETWORK_CODES = new Set(['NETWORK_ERROR', 'TIMEOUT', 'SERVER_ERROR', 'ECONNREFUSED', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT']);

/** The revert data somewhere in an ethers error (it nests it differently per path). */
function revertData(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length > 0) {
    const e = stack.pop();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const data = (e as { data?: unknown }).data;
    if (typeof data === 'string' && /^0x[0-9a-f]{8}/i.test(data)) return data;
    for (const key of ['error', 'info', 'cause', 'data']) stack.push((e as Record<string, unknown>)[key]);
  }
  return undefined;
}

function isNetworkError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause ?? (e as { error?: unknown }).error;
  }
  return false;
}

/** A view call that came back empty: ethers could not decode `0x` (no code at the address). */
function isEmptyResult(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const { code, value } = e as { code?: unknown; value?: unknown };
    if (code === 'BAD_DATA' && value === '0x') return true;
    e = (e as { cause?: unknown }).cause ?? (e as { error?: unknown }).error;
  }
  return false;
}

/** The registry address holds no contract on this chain (a wrong `chain.registry`, or a chain reset). */
export function noContractError(registry: string, chainId: bigint | number, opts: { action?: string; cause?: unknown } = {}): WaymarkError {
  return new WaymarkError('WAYMARK_ERR_CHAIN_NO_CONTRACT', `${registry} on chain ${chainId}; check chain.registry`, {
    cause: opts.cause,
    details: { registry, chainId: chainId.toString(), ...(opts.action ? { action: opts.action } : {}) },
  });
}

function describe(parsed: ErrorDescription): string {
  const args = parsed.fragment.inputs.map((input, i) => `${input.name}=${String(parsed.args[i])}`);
  return `${parsed.name}(${args.join(', ')})`;
}

/**
 * Maps any error from a contract call to a WaymarkError: a named custom error to its code
 * (details: `revert` name and `args`), a connection failure to WAYMARK_ERR_CHAIN_UNAVAILABLE,
 * a view call answered with no data to WAYMARK_ERR_CHAIN_NO_CONTRACT (callers that know the
 * address and chain say so with noContractError), anything else to WAYMARK_ERR_CHAIN_REVERTED.
 * WaymarkErrors pass through unchanged.
 */
export function toChainError(err: unknown, action: string, iface: Interface = registryErrors()): WaymarkError {
  if (isWaymarkError(err)) return err;
  const data = revertData(err);
  if (data) {
    let parsed: ErrorDescription | null = null;
    try {
      parsed = iface.parseError(data);
    } catch {
      parsed = null;
    }
    if (parsed) {
      const args: Record<string, string> = {};
      parsed.fragment.inputs.forEach((input, i) => { args[input.name || String(i)] = String(parsed!.args[i]); });
      const code = REVERT_CODES[parsed.name] ?? 'WAYMARK_ERR_CHAIN_REVERTED';
      return new WaymarkError(code, `${action}: ${describe(parsed)}`, { cause: err, details: { action, revert: parsed.name, args } });
    }
    return new WaymarkError('WAYMARK_ERR_CHAIN_REVERTED', `${action}: unrecognized revert data ${data.slice(0, 74)}`, { cause: err, details: { action, data } });
  }
  if (isEmptyResult(err)) {
    return new WaymarkError('WAYMARK_ERR_CHAIN_NO_CONTRACT', `${action}: the call returned no data; check the registry address (chain.registry)`, { cause: err, details: { action } });
  }
  if (isNetworkError(err)) {
    return new WaymarkError('WAYMARK_ERR_CHAIN_UNAVAILABLE', `${action}: ${(err as Error).message?.split('\n')[0] ?? String(err)}`, { cause: err, details: { action } });
  }
  const message = err instanceof Error ? (err as { shortMessage?: string }).shortMessage ?? err.message : String(err);
  return new WaymarkError('WAYMARK_ERR_CHAIN_REVERTED', `${action}: ${message}`, { cause: err, details: { action } });
}
