/**
 * A venue's occupancy policy and its capacity crossings: the operator (or a region authority
 * above the venue) sets "report above `capacity` people for `minMinutes`", a kiosk of the
 * venue reports the crossing and its end, and anyone reads the current state.
 */
import { WaymarkError } from '../../core/errors.js';
import { findEvent, readRegistry, sendRegistryTx, type RegistryClient, type TxReceipt } from '../client.js';
import { assertTime, assertUint, assertVenueId } from '../validate.js';

/** The registry's bounds (WaymarkRegistry.MAX_CAPACITY / MAX_MIN_MINUTES). */
export const MAX_CAPACITY = 1_000_000;
export const MAX_CAPACITY_MINUTES = 1440;

export interface CapacityPolicy {
  /** People; 0 = no policy. */
  capacity: number;
  /** Above capacity for at least this many minutes before a kiosk reports it. */
  minMinutes: number;
}

export interface CapacityOfReturnType extends CapacityPolicy {
  /** Start of the reported crowding, Unix seconds (kiosk time); 0 while not reported over capacity. */
  overSince: number;
  /** Occupancy in the latest crossing report. */
  occupancy: number;
}

/** A policy the registry accepts: capacity 1..1,000,000 and 1..1,440 minutes, or (0, 0) to remove it. */
export function assertCapacityPolicy(policy: { capacity: unknown; minMinutes: unknown }): CapacityPolicy {
  const { capacity, minMinutes } = policy;
  const whole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
  if (whole(capacity) && whole(minMinutes) && capacity === 0 && minMinutes === 0) return { capacity: 0, minMinutes: 0 };
  if (!whole(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
    throw new WaymarkError('WAYMARK_ERR_CAPACITY_POLICY_INVALID', `capacity must be a whole number of people, 1..${MAX_CAPACITY} (0 with 0 minutes removes the policy), got ${String(capacity)}`, { details: { field: 'capacity' } });
  }
  if (!whole(minMinutes) || minMinutes < 1 || minMinutes > MAX_CAPACITY_MINUTES) {
    throw new WaymarkError('WAYMARK_ERR_CAPACITY_POLICY_INVALID', `minutes above capacity must be a whole number, 1..${MAX_CAPACITY_MINUTES}, got ${String(minMinutes)}`, { details: { field: 'minMinutes' } });
  }
  return { capacity, minMinutes };
}

export async function capacityOf(client: RegistryClient, params: { venueId: bigint | number }): Promise<CapacityOfReturnType> {
  const venueId = assertVenueId(params.venueId);
  const [capacity, minMinutes, overSince, occupancy] = await readRegistry<[bigint, bigint, bigint, bigint]>(client, 'capacityOf', 'capacityOf', [venueId]);
  return { capacity: Number(capacity), minMinutes: Number(minMinutes), overSince: Number(overSince), occupancy: Number(occupancy) };
}

export async function setCapacityPolicy(client: RegistryClient, params: { venueId: bigint | number } & CapacityPolicy): Promise<TxReceipt> {
  const venueId = assertVenueId(params.venueId);
  const { capacity, minMinutes } = assertCapacityPolicy(params);
  return (await sendRegistryTx(client, 'setCapacityPolicy', 'setCapacityPolicy', [venueId, capacity, minMinutes])).receipt;
}

export interface CapacityCrossing {
  venueId: bigint | number;
  /** People inside when reported. */
  occupancy: number;
  /** Kiosk time of the report, Unix seconds. */
  at: number;
}

export interface CapacityCrossedReturnType extends TxReceipt {
  /** Start of the crowding, Unix seconds. */
  since: number;
  capacity: number;
}

function crossed(receipt: TxReceipt, event: Record<string, unknown> | undefined): CapacityCrossedReturnType {
  return { ...receipt, since: Number(event?.since ?? 0n), capacity: Number(event?.capacity ?? 0n) };
}

/** The kiosk reports its venue above capacity since `since` (for at least the policy's minutes). */
export async function reportOverCapacity(client: RegistryClient, params: CapacityCrossing & { since: number }): Promise<CapacityCrossedReturnType> {
  const venueId = assertVenueId(params.venueId);
  const occupancy = assertUint(params.occupancy, 'occupancy', 2n ** 32n - 1n);
  const since = assertTime(params.since, 'since');
  const at = assertTime(params.at, 'at');
  const { receipt, logs, contract } = await sendRegistryTx(client, 'reportOverCapacity', 'reportOverCapacity', [venueId, occupancy, since, at]);
  return crossed(receipt, findEvent(contract, logs, 'CapacityCrossed'));
}

/** The kiosk reports the crowding over (occupancy at or below the capacity again). */
export async function reportCapacityRestored(client: RegistryClient, params: CapacityCrossing): Promise<CapacityCrossedReturnType> {
  const venueId = assertVenueId(params.venueId);
  const occupancy = assertUint(params.occupancy, 'occupancy', 2n ** 32n - 1n);
  const at = assertTime(params.at, 'at');
  const { receipt, logs, contract } = await sendRegistryTx(client, 'reportCapacityRestored', 'reportCapacityRestored', [venueId, occupancy, at]);
  return crossed(receipt, findEvent(contract, logs, 'CapacityCrossed'));
}
