/**
 * The demo's beacon on the virtual air: the kiosk's bleno advertiser on the kiosk's own
 * virtual controller broadcasts the signed beacon, and a simulated phone on a second
 * controller scans with noble and verifies what it hears.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { KioskBeacon, BeaconAssembler, fromHex, toHex } from '../beacon/index.js';
import { defaultHciHub } from '../firmware-bridge/sim/hci-hub.js';
import { createBlenoAdvertiser } from './radio/bleno-advertiser.js';
import { createNobleScanner } from './radio/noble-scanner.js';
import { BeaconBroadcaster } from './beacon-broadcaster.js';
import { BeaconListener, type VerifiedPosition } from './beacon-listener.js';

export const BEACON_KEY_FILE = 'beacon-key.hex';

/** The kiosk's Ed25519 beacon key from the data dir, created (0600) on first use. */
export function loadOrCreateBeaconKey(dataDir: string): Uint8Array {
  const path = join(dataDir, BEACON_KEY_FILE);
  if (existsSync(path)) return fromHex(readFileSync(path, 'utf8').trim());
  mkdirSync(dataDir, { recursive: true });
  const key = new Uint8Array(randomBytes(32));
  writeFileSync(path, toHex(key) + '\n', { mode: 0o600 });
  return key;
}

export interface DemoBeacon {
  readonly beacon: KioskBeacon;
  readonly broadcaster: BeaconBroadcaster;
  readonly listener: BeaconListener;
  summary(): { kiosk: string; publicKey: string; onAir: boolean; epochs: number; verifiedByPhone: number; refusedByPhone: Record<string, number> };
  stop(): Promise<void>;
}

export async function startDemoBeacon(opts: {
  clock: Clock; kioskDeviceId: number; dataDir: string; geohash: string; logger?: Logger;
  /** Called with every position the simulated phone verifies. */
  onPosition?: (p: VerifiedPosition) => void;
}): Promise<DemoBeacon> {
  const beacon = new KioskBeacon({ secretKey: loadOrCreateBeaconKey(opts.dataDir), geohash: opts.geohash });
  const advertiser = createBlenoAdvertiser({ socket: 'virtual', deviceId: opts.kioskDeviceId });
  const broadcaster = new BeaconBroadcaster({ advertiser, beacon, clock: opts.clock, intervalMs: 100, logger: opts.logger });
  const phoneCtl = defaultHciHub.add();
  const phoneId = defaultHciHub.devices().find((d) => defaultHciHub.get(d.devId) === phoneCtl)!.devId;
  const phone = createNobleScanner({ socket: 'virtual', deviceId: phoneId, clock: opts.clock });
  const listener = new BeaconListener({ scanner: phone, keyFor: BeaconAssembler.keysFrom({ [toHex(beacon.kioskId)]: beacon.publicKey }), onPosition: opts.onPosition });
  await phone.start();
  await broadcaster.start();
  const kioskCtl = defaultHciHub.get(opts.kioskDeviceId)!;
  // one advertising event of the kiosk per interval, heard by the phone a few metres away
  const air = setInterval(() => defaultHciHub.transmit(kioskCtl.onAir(opts.clock.now(), -58, true), [phoneCtl]), 100);
  return {
    beacon, broadcaster, listener,
    summary() {
      const b = broadcaster.stats();
      const l = listener.stats();
      return { kiosk: toHex(beacon.kioskId), publicKey: toHex(beacon.publicKey), onAir: b.onAir, epochs: b.epochs, verifiedByPhone: l.verified, refusedByPhone: l.refused };
    },
    async stop() {
      clearInterval(air);
      await broadcaster.stop();
      await advertiser.close();
      await phone.close();
      defaultHciHub.remove(phoneId);
    },
  };
}
