/**
 * The fleet's tables, folded from the WaymarkRegistry's events: regions, venues (with the
 * registry's status rules replayed), kiosks with their last batch, every batch, every
 * exposure, batches per hour, and venues' capacity policies with the crossings their kiosks
 * reported.
 */
import { index, onchainTable } from 'ponder';

export const region = onchainTable('region', (t) => ({
  prefix: t.text().primaryKey(),
  authority: t.hex().notNull(),
  registeredBy: t.hex().notNull(),
  registeredAt: t.bigint().notNull(),
}));

export const venue = onchainTable('venue', (t) => ({
  id: t.bigint().primaryKey(),
  region: t.text().notNull(),
  geohash: t.text().notNull(),
  operator: t.hex().notNull(),
  registeredAt: t.bigint().notNull(),
  /** Last status the chain emitted (0 Empty, 1 Clean, 2 Infected); reads re-check the expiry. */
  status: t.integer().notNull(),
  hasBatches: t.boolean().notNull(),
  exposureTo: t.bigint().notNull(),
  infectedUntil: t.bigint().notNull(),
  cleanedAt: t.bigint().notNull(),
}), (table) => ({ regionIdx: index().on(table.region) }));

export const kiosk = onchainTable('kiosk', (t) => ({
  address: t.hex().primaryKey(),
  venueId: t.bigint().notNull(),
  active: t.boolean().notNull(),
  authorizedAt: t.bigint().notNull(),
  nextSeq: t.bigint().notNull(),
  batches: t.bigint().notNull(),
  lastBatchAt: t.bigint(),
  lastBatchSeq: t.bigint(),
  lastBatchCount: t.integer(),
  /** The kiosk's current beacon key (BeaconKeySet) and the 8-byte id its beacons carry. */
  beaconId: t.hex(),
  beaconKey: t.hex(),
}), (table) => ({ venueIdx: index().on(table.venueId) }));

export const batch = onchainTable('batch', (t) => ({
  id: t.text().primaryKey(),
  venueId: t.bigint().notNull(),
  kiosk: t.hex().notNull(),
  seq: t.bigint().notNull(),
  merkleRoot: t.hex().notNull(),
  count: t.integer().notNull(),
  fromTime: t.bigint().notNull(),
  toTime: t.bigint().notNull(),
  timestamp: t.bigint().notNull(),
  block: t.bigint().notNull(),
}), (table) => ({ kioskIdx: index().on(table.kiosk) }));

export const exposure = onchainTable('exposure', (t) => ({
  id: t.text().primaryKey(),
  venueId: t.bigint().notNull(),
  geohash: t.text().notNull(),
  authority: t.hex().notNull(),
  fromTime: t.bigint().notNull(),
  toTime: t.bigint().notNull(),
  expiresAt: t.bigint().notNull(),
  reportedAt: t.bigint().notNull(),
  block: t.bigint().notNull(),
}), (table) => ({ reportedIdx: index().on(table.reportedAt), geohashIdx: index().on(table.geohash) }));

export const batchHour = onchainTable('batch_hour', (t) => ({
  hour: t.bigint().primaryKey(),
  batches: t.integer().notNull(),
  records: t.bigint().notNull(),
}));

/** A venue's capacity policy (capacity 0 = none) and the crowding its kiosks reported (overSince 0 = none). */
export const venueCapacity = onchainTable('venue_capacity', (t) => ({
  venueId: t.bigint().primaryKey(),
  capacity: t.integer().notNull(),
  minMinutes: t.integer().notNull(),
  setBy: t.hex().notNull(),
  /** Kiosk time the reported crowding began, Unix s; 0 while not reported over capacity. */
  overSince: t.bigint().notNull(),
  /** Occupancy in the latest crossing report. */
  occupancy: t.integer().notNull(),
  lastCrossingAt: t.bigint(),
}));

/** Every capacity crossing a kiosk reported: over capacity since `since`, or its end at `at`. */
export const capacityCrossing = onchainTable('capacity_crossing', (t) => ({
  id: t.text().primaryKey(),
  venueId: t.bigint().notNull(),
  geohash: t.text().notNull(),
  kiosk: t.hex().notNull(),
  over: t.boolean().notNull(),
  occupancy: t.integer().notNull(),
  capacity: t.integer().notNull(),
  since: t.bigint().notNull(),
  at: t.bigint().notNull(),
  block: t.bigint().notNull(),
  /** Block time of the report. */
  reportedAt: t.bigint().notNull(),
}), (table) => ({ reportedIdx: index().on(table.reportedAt), geohashIdx: index().on(table.geohash) }));
