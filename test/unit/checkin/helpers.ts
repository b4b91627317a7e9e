/** Shared set-up for the check-in suites: a check-in service on a fresh SQLite file and a manual clock. */
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { ManualClock } from '../../../core/clock.js';
import { parseConfig, type KioskConfigInput } from '../../../core/config.js';
import { openDatabase } from '../../../kiosk/store/database.js';
import { CheckinService } from '../../../kiosk/checkin/service.js';
import type { ClockGuard } from '../../../kiosk/clock-guard.js';

export const KIOSK_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'; // anvil dev key #1
export const REGISTRY = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

export function visitorHex(n: number): string {
  return '0x' + n.toString(16).padStart(64, '0');
}

export function makeService(t: { testdir: (f?: any) => string; teardown: (f: () => void) => void }, opts: { checkin?: KioskConfigInput['checkin']; clockGuard?: ClockGuard; clock?: ManualClock; dbPath?: string } = {}) {
  const dbPath = opts.dbPath ?? join(t.testdir({}), 'waymark.db');
  const db = openDatabase(dbPath);
  t.teardown(() => db.close());
  const clock = opts.clock ?? new ManualClock(Date.UTC(2026, 4, 1, 12, 0, 0));
  const config = parseConfig({ checkin: opts.checkin ?? {} });
  const service = new CheckinService({
    db, clock, key: new Wallet(KIOSK_KEY), chainId: 31337, registry: REGISTRY, venueId: 7, geohash: 'u4pruydqq',
    settings: config.checkin, clockGuard: opts.clockGuard,
  });
  return { service, clock, db, dbPath, config };
}
