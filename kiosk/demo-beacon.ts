/**
 * The demo's radio face on the virtual air: the kiosk's bleno peripheral, on the kiosk's
 * own virtual controller, broadcasts the signed beacon and hosts the GATT tap check-in
 * service; one simulated phone scans with noble and verifies the beacon, another taps
 * (a real connection with ATT writes and notifications) to check in.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { KioskConfig } from '../core/config.js';
import type { Logger } from '../core/log.js';
import type { TapCheckinHandler } from '../core/ports.js';
import { BeaconAssembler, toHex, type KioskBeacon } from '../beacon/index.js';
import { defaultHciHub } from '../firmware-bridge/sim/hci-hub.js';
import { formatAddress } from '../firmware-bridge/sim/air.js';
import { createBlenoPeripheral } from './radio/bleno-advertiser.js';
import { createNobleScanner } from './radio/noble-scanner.js';
import { startGattCheckin, type GattCheckinService } from './radio/gatt-checkin.js';
import { createPhoneTapClient, type PhoneTapClient } from './radio/phone-tap.js';
import type { BeaconBroadcaster } from './beacon-broadcaster.js';
import { createBeaconBroadcaster } from './beacon-service.js';
import { BeaconListener, type VerifiedPosition } from './beacon-listener.js';

export interface DemoBeaconSummary {
  kiosk: string;
  publicKey: string;
  onAir: boolean;
  epochs: number;
  verifiedByPhone: number;
  refusedByPhone: Record<string, number>;
  taps: { attempted: number; attested: number; refused: Record<string, number>; failed: number; lastError: string | null };
}

export interface DemoBeacon {
  readonly beacon: KioskBeacon;
  readonly broadcaster: BeaconBroadcaster;
  readonly listener: BeaconListener;
  summary(): DemoBeaconSummary;
  stop(): Promise<void>;
}

export interface DemoBeaconOptions {
  clock: Clock;
  kioskDeviceId: number;
  config: KioskConfig;
  logger?: Logger;
  /** Called with every position the simulated phone verifies. */
  onPosition?: (p: VerifiedPosition) => void;
  /** Serve BLE tap check-ins with this handler, and let a simulated phone tap every `tapEveryMs` (wall; 0 = never). */
  tapHandler?: TapCheckinHandler;
  tapEveryMs?: number;
}

function addController(): { id: number } {
  const ctl = defaultHciHub.add();
  return { id: defaultHciHub.devices().find((d) => defaultHciHub.get(d.devId) === ctl)!.devId };
}

export async function startDemoBeacon(opts: DemoBeaconOptions): Promise<DemoBeacon> {
  const peripheral = createBlenoPeripheral({ socket: 'virtual', deviceId: opts.kioskDeviceId });
  const broadcaster = createBeaconBroadcaster({ config: opts.config, clock: opts.clock, advertiser: peripheral, logger: opts.logger });
  const beacon = broadcaster.beacon;
  const listenerPhone = addController();
  const tapPhone = addController();
  // a phone a few metres away listens; the tapping phone is held against the kiosk
  defaultHciHub.setLinkRssi(opts.kioskDeviceId, listenerPhone.id, -58);
  defaultHciHub.setLinkRssi(opts.kioskDeviceId, tapPhone.id, -40, 1);
  const scanner = createNobleScanner({ socket: 'virtual', deviceId: listenerPhone.id, clock: opts.clock });
  const listener = new BeaconListener({ scanner, keyFor: BeaconAssembler.keysFrom({ [toHex(beacon.kioskId)]: beacon.publicKey }), onPosition: opts.onPosition });
  let gatt: GattCheckinService | undefined;
  let tapper: PhoneTapClient | undefined;
  let tapTimer: NodeJS.Timeout | undefined;
  let stopFirst = () => {};
  const taps = { attempted: 0, attested: 0, refused: {} as Record<string, number>, failed: 0, lastError: null as string | null };
  if (opts.tapHandler) gatt = await startGattCheckin(peripheral, { handler: opts.tapHandler, beaconFrame: () => broadcaster.currentFrame() });
  await scanner.start();
  await broadcaster.start();
  // the air: every controller hears the others' advertising; links carry ACL
  const air = setInterval(() => defaultHciHub.exchange(opts.clock.now()), 20);
  if (gatt && opts.tapEveryMs !== 0) {
    tapper = createPhoneTapClient({ socket: 'virtual', deviceId: tapPhone.id });
    // the beacon fills the scan response, so the phone finds the kiosk by its address
    // (a real phone learns it from the beacon it just verified)
    const kioskAddress = formatAddress(defaultHciHub.get(opts.kioskDeviceId)!.address);
    let busy = false;
    const tapOnce = () => {
      if (busy) return;
      busy = true;
      taps.attempted++;
      tapper!.tap(new Uint8Array(randomBytes(32)), { timeoutMs: 5000, kioskAddress })
        .then((r) => {
          if (r.ok) taps.attested++;
          else taps.refused[r.code] = (taps.refused[r.code] ?? 0) + 1;
        })
        .catch((err: Error) => {
          taps.failed++;
          taps.lastError = err.message;
        })
        .finally(() => (busy = false));
    };
    const first = setTimeout(tapOnce, 300);
    tapTimer = setInterval(tapOnce, opts.tapEveryMs ?? 3000);
    stopFirst = () => clearTimeout(first);
  }
  return {
    beacon, broadcaster, listener,
    summary() {
      const b = broadcaster.stats();
      const l = listener.stats();
      return {
        kiosk: toHex(beacon.kioskId), publicKey: toHex(beacon.publicKey), onAir: b.onAir, epochs: b.epochs,
        verifiedByPhone: l.verified, refusedByPhone: l.refused, taps: structuredClone(taps),
      };
    },
    async stop() {
      stopFirst();
      clearInterval(tapTimer);
      clearInterval(air);
      await tapper?.close();
      await broadcaster.stop();
      await gatt?.close();
      await peripheral.close();
      await scanner.close();
      defaultHciHub.remove(listenerPhone.id);
      defaultHciHub.remove(tapPhone.id);
    },
  };
}
