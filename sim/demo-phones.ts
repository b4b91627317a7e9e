/**
 * The demo's phones on the virtual air, beside the kiosk's own virtual controller: one
 * listens with noble and verifies the kiosk's signed beacon, another is held against the
 * kiosk and taps (a real BLE connection with ATT writes and notifications) to check in.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { formatAddress } from '../core/address.js';
import { BeaconAssembler, toHex, type KioskBeacon } from '../beacon/index.js';
import { createNobleScanner } from '../kiosk/radio/noble-scanner.js';
import { defaultHciHub } from './hci-hub.js';
import { VirtualHciSocket } from './hci-socket.js';
import { createPhoneTapClient, type PhoneTapClient } from './phone-tap.js';
import { BeaconListener, type VerifiedPosition } from './beacon-listener.js';

export interface DemoTapCounts {
  attempted: number;
  attested: number;
  refused: Record<string, number>;
  failed: number;
  lastError: string | null;
}

export interface DemoPhones {
  readonly listener: BeaconListener;
  taps(): DemoTapCounts;
  stop(): Promise<void>;
}

export interface DemoPhonesOptions {
  clock: Clock;
  /** The kiosk's virtual controller. */
  kioskDeviceId: number;
  /** The kiosk's beacon, whose key the listening phone trusts. */
  beacon: KioskBeacon;
  /** Called with every position the listening phone verifies. */
  onPosition?: (p: VerifiedPosition) => void;
  /** Wall ms between the tapping phone's check-ins; 0 = no tapping phone. */
  tapEveryMs: number;
}

function addController(): number {
  const ctl = defaultHciHub.add();
  return defaultHciHub.devices().find((d) => defaultHciHub.get(d.devId) === ctl)!.devId;
}

export async function startDemoPhones(opts: DemoPhonesOptions): Promise<DemoPhones> {
  const { beacon } = opts;
  const listenerPhone = addController();
  const tapPhone = addController();
  // a phone a few metres away listens; the tapping phone is held against the kiosk
  defaultHciHub.setLinkRssi(opts.kioskDeviceId, listenerPhone, -58);
  defaultHciHub.setLinkRssi(opts.kioskDeviceId, tapPhone, -40, 1);
  const scanner = createNobleScanner({ socket: VirtualHciSocket, deviceId: listenerPhone, clock: opts.clock });
  const listener = new BeaconListener({ scanner, keyFor: BeaconAssembler.keysFrom({ [toHex(beacon.kioskId)]: beacon.publicKey }), onPosition: opts.onPosition });
  let tapper: PhoneTapClient | undefined;
  let tapTimer: NodeJS.Timeout | undefined;
  let firstTap: NodeJS.Timeout | undefined;
  const taps: DemoTapCounts = { attempted: 0, attested: 0, refused: {}, failed: 0, lastError: null };
  await scanner.start();
  // the air: every controller hears the others' advertising; links carry ACL
  const air = setInterval(() => defaultHciHub.exchange(opts.clock.now()), 20);
  if (opts.tapEveryMs > 0) {
    tapper = createPhoneTapClient({ socket: VirtualHciSocket, deviceId: tapPhone });
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
    firstTap = setTimeout(tapOnce, 300);
    tapTimer = setInterval(tapOnce, opts.tapEveryMs);
  }
  return {
    listener,
    taps: () => structuredClone(taps),
    async stop() {
      clearTimeout(firstTap);
      clearInterval(tapTimer);
      clearInterval(air);
      await tapper?.close();
      await scanner.close();
      defaultHciHub.remove(listenerPhone);
      defaultHciHub.remove(tapPhone);
    },
  };
}
