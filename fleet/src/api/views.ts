/**
 * Pure shaping of fleet rows for the JSON API and the dashboard: effective venue status at
 * `now` (the registry lets exposures lapse on read) and kiosk lag against the batch interval.
 */
export const STATUS_NAMES = ['Empty', 'Clean', 'Infected'] as const;
export type VenueStatusName = (typeof STATUS_NAMES)[number];

export interface VenueRow { id: bigint; region: string; geohash: string; operator: string; hasBatches: boolean; exposureTo: bigint; infectedUntil: bigint }
export interface KioskRow { address: string; venueId: bigint; active: boolean; authorizedAt: bigint; batches: bigint; lastBatchAt: bigint | null; lastBatchSeq: bigint | null; lastBatchCount: number | null; beaconId?: string | null; beaconKey?: string | null }

/** The registry's _status(): Infected while an exposure runs, then Clean once anything happened. */
export function venueStatus(v: Pick<VenueRow, 'hasBatches' | 'exposureTo' | 'infectedUntil'>, now: bigint): { status: VenueStatusName; until: number | null } {
  if (v.infectedUntil > now) return { status: 'Infected', until: Number(v.infectedUntil) };
  if (v.hasBatches || v.exposureTo !== 0n) return { status: 'Clean', until: null };
  return { status: 'Empty', until: null };
}

export interface KioskView {
  address: string; active: boolean; batches: number; lastBatchAt: number | null; lastBatchSeq: number | null; lagS: number; silent: boolean;
  /** The kiosk's current beacon id and key (null until it publishes one). */
  beaconId: string | null; beaconKey: string | null;
}

/** Lag counts from the last batch, or from authorization for a kiosk that never committed. */
export function kioskView(k: KioskRow, now: bigint, intervalS: number, silentAfter: number): KioskView {
  const since = k.lastBatchAt ?? k.authorizedAt;
  const lagS = Math.max(0, Number(now - since));
  return {
    address: k.address,
    active: k.active,
    batches: Number(k.batches),
    lastBatchAt: k.lastBatchAt === null ? null : Number(k.lastBatchAt),
    lastBatchSeq: k.lastBatchSeq === null ? null : Number(k.lastBatchSeq),
    lagS,
    silent: k.active && lagS > intervalS * silentAfter,
    beaconId: k.beaconId ?? null,
    beaconKey: k.beaconKey ?? null,
  };
}

/** A region prefix matches its own cells and every longer prefix under it. */
export function inRegion(geohash: string, region: string): boolean {
  return geohash.startsWith(region);
}

export interface CapacityRow { capacity: number; minMinutes: number; overSince: bigint; occupancy: number }

/** A venue's capacity policy and reported crowding as the API shows it; null without a policy. */
export function capacityView(c: CapacityRow | undefined): { capacity: number; minMinutes: number; full: boolean; since: number | null; occupancy: number } | null {
  if (!c || c.capacity === 0) return null;
  const full = c.overSince !== 0n;
  return { capacity: c.capacity, minMinutes: c.minMinutes, full, since: full ? Number(c.overSince) : null, occupancy: c.occupancy };
}
