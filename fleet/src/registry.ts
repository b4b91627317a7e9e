/**
 * Folds the WaymarkRegistry's events into the fleet tables. Venue status follows the
 * contract's own rules (WaymarkRegistry._status/_settle), so reads can apply the expiry
 * the chain evaluates lazily.
 */
import { ponder } from 'ponder:registry';
import schema from 'ponder:schema';
import { bytesText } from './text';

const STATUS_CLEAN = 1;
const REASON_CLEANED = 2;
const REASON_EXPIRED = 3;

ponder.on('WaymarkRegistry:RegionAuthorityRegistered', async ({ event, context }) => {
  const a = event.args as { prefix: `0x${string}`; authority: `0x${string}`; registeredBy: `0x${string}` };
  const prefix = bytesText(a.prefix);
  await context.db.insert(schema.region)
    .values({ prefix, authority: a.authority, registeredBy: a.registeredBy, registeredAt: event.block.timestamp })
    .onConflictDoUpdate({ authority: a.authority, registeredBy: a.registeredBy, registeredAt: event.block.timestamp });
});

ponder.on('WaymarkRegistry:VenueRegistered', async ({ event, context }) => {
  const a = event.args as { venueId: bigint; region: `0x${string}`; operator: `0x${string}`; geohash: `0x${string}` };
  await context.db.insert(schema.venue).values({
    id: a.venueId, region: bytesText(a.region), geohash: bytesText(a.geohash), operator: a.operator,
    registeredAt: event.block.timestamp, status: 0, hasBatches: false, exposureTo: 0n, infectedUntil: 0n, cleanedAt: 0n,
  });
});

ponder.on('WaymarkRegistry:KioskAuthorized', async ({ event, context }) => {
  const a = event.args as { venueId: bigint; kiosk: `0x${string}`; nextSeq: bigint };
  await context.db.insert(schema.kiosk)
    .values({ address: a.kiosk, venueId: a.venueId, active: true, authorizedAt: event.block.timestamp, nextSeq: a.nextSeq, batches: 0n })
    .onConflictDoUpdate({ venueId: a.venueId, active: true, authorizedAt: event.block.timestamp, nextSeq: a.nextSeq });
});

ponder.on('WaymarkRegistry:KioskRevoked', async ({ event, context }) => {
  const a = event.args as { kiosk: `0x${string}` };
  await context.db.update(schema.kiosk, { address: a.kiosk }).set({ active: false });
});

ponder.on('WaymarkRegistry:BatchCommitted', async ({ event, context }) => {
  const a = event.args as { venueId: bigint; kiosk: `0x${string}`; seq: bigint; merkleRoot: `0x${string}`; count: number; fromTime: bigint; toTime: bigint };
  const ts = event.block.timestamp;
  await context.db.insert(schema.batch).values({
    id: event.id, venueId: a.venueId, kiosk: a.kiosk, seq: a.seq, merkleRoot: a.merkleRoot, count: a.count,
    fromTime: a.fromTime, toTime: a.toTime, timestamp: ts, block: event.block.number,
  });
  await context.db.update(schema.kiosk, { address: a.kiosk }).set((k) => ({
    nextSeq: a.seq + 1n, batches: k.batches + 1n, lastBatchAt: ts, lastBatchSeq: a.seq, lastBatchCount: a.count,
  }));
  const hour = ts - (ts % 3600n);
  await context.db.insert(schema.batchHour).values({ hour, batches: 1, records: BigInt(a.count) })
    .onConflictDoUpdate((h) => ({ batches: h.batches + 1, records: h.records + BigInt(a.count) }));
});

ponder.on('WaymarkRegistry:ExposureReported', async ({ event, context }) => {
  const a = event.args as { venueId: bigint; authority: `0x${string}`; fromTime: bigint; toTime: bigint; expiresAt: bigint };
  const v = await context.db.find(schema.venue, { id: a.venueId });
  await context.db.insert(schema.exposure).values({
    id: event.id, venueId: a.venueId, geohash: v?.geohash ?? '', authority: a.authority, fromTime: a.fromTime, toTime: a.toTime,
    expiresAt: a.expiresAt, reportedAt: event.block.timestamp, block: event.block.number,
  });
  if (!v) return;
  const infectedUntil = a.toTime >= v.cleanedAt && a.expiresAt > v.infectedUntil ? a.expiresAt : v.infectedUntil;
  await context.db.update(schema.venue, { id: a.venueId }).set({ exposureTo: a.toTime, infectedUntil });
});

ponder.on('WaymarkRegistry:StatusChanged', async ({ event, context }) => {
  const a = event.args as { venueId: bigint; previous: number; current: number; reason: number };
  const set: { status: number; hasBatches?: boolean; infectedUntil?: bigint; cleanedAt?: bigint } = { status: Number(a.current) };
  if (Number(a.reason) === 0) set.hasBatches = true;
  if (Number(a.reason) === REASON_CLEANED) { set.infectedUntil = 0n; set.cleanedAt = event.block.timestamp; }
  if (Number(a.reason) === REASON_EXPIRED) { set.infectedUntil = 0n; set.status = STATUS_CLEAN; }
  await context.db.update(schema.venue, { id: a.venueId }).set(set);
});

ponder.on('WaymarkRegistry:BeaconKeySet', async ({ event, context }) => {
  const a = event.args as { kiosk: `0x${string}`; beaconId: `0x${string}`; beaconKey: `0x${string}` };
  await context.db.update(schema.kiosk, { address: a.kiosk }).set({ beaconId: a.beaconId, beaconKey: a.beaconKey });
});

ponder.on('WaymarkRegistry:CapacityPolicySet', async ({ event, context }) => {
  const a = event.args as { venueId: bigint; setBy: `0x${string}`; capacity: number; minMinutes: number };
  const policy = { capacity: Number(a.capacity), minMinutes: Number(a.minMinutes), setBy: a.setBy };
  // removing the policy (0, 0) also clears a reported crowding, as the registry does
  const off = policy.capacity === 0 && policy.minMinutes === 0;
  await context.db.insert(schema.venueCapacity).values({ venueId: a.venueId, ...policy, overSince: 0n, occupancy: 0 })
    .onConflictDoUpdate(off ? { ...policy, overSince: 0n } : policy);
});

ponder.on('WaymarkRegistry:CapacityCrossed', async ({ event, context }) => {
  const a = event.args as { venueId: bigint; kiosk: `0x${string}`; over: boolean; occupancy: number; capacity: number; since: bigint; at: bigint };
  const v = await context.db.find(schema.venue, { id: a.venueId });
  await context.db.insert(schema.capacityCrossing).values({
    id: event.id, venueId: a.venueId, geohash: v?.geohash ?? '', kiosk: a.kiosk, over: a.over, occupancy: Number(a.occupancy), capacity: Number(a.capacity),
    since: a.since, at: a.at, block: event.block.number, reportedAt: event.block.timestamp,
  });
  await context.db.update(schema.venueCapacity, { venueId: a.venueId }).set({ overSince: a.over ? a.since : 0n, occupancy: Number(a.occupancy), lastCrossingAt: a.at });
});
