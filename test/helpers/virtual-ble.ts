/**
 * A kiosk (bleno peripheral + GATT check-in service) and a phone (noble central) on two
 * virtual controllers with the air running, for the BLE tap and GATT tests.
 */
import type { Test } from 'tap';
import { WaymarkError } from '../../core/errors.js';
import type { TapCheckinRequest } from '../../core/ports.js';
import { defaultHciHub } from '../../sim/hci-hub.js';
import { createBlenoPeripheral } from '../../kiosk/radio/bleno-advertiser.js';
import { checkinServiceAd, startGattCheckin, type GattCheckinOptions, type TapOutcome } from '../../kiosk/radio/gatt-checkin.js';
import { createPhoneTapClient } from '../../sim/phone-tap.js';
import { VirtualHciSocket } from '../../sim/hci-socket.js';

/** Flags (LE General Discoverable, no BR/EDR), then 16-bit Service Data 0xFEAA with 4 bytes: a stand-in beacon. */
const BEACON_AD = Uint8Array.from([0x02, 0x01, 0x06, 0x07, 0x16, 0xaa, 0xfe, 0xde, 0xad, 0xbe, 0xef]);
export const THRESHOLD_DBM = -45;
export const ANSWER_LENGTH = 600;

let nextDevId = 60;

/** A device id no other controller of this process uses. */
export function freshDevId(): number {
  return nextDevId++;
}

/** The answer a test handler gives: JSON padded to exactly 600 bytes, so it takes three notifications at ATT_MTU 256. */
export function attestationFor(req: TapCheckinRequest): Uint8Array {
  const head = JSON.stringify({ visitor: Buffer.from(req.visitor).toString('hex'), rssi: Math.round(req.rssiDbm), pad: '' });
  const json = head.replace('"pad":""', `"pad":"${'x'.repeat(ANSWER_LENGTH - head.length)}"`);
  return new TextEncoder().encode(json);
}

/** A kiosk (bleno peripheral + check-in service) and a phone (noble central) on two virtual controllers, with the air running. */
export async function kioskAndPhone(t: Test, opts: Partial<GattCheckinOptions> = {}) {
  const kioskId = nextDevId++;
  const phoneId = nextDevId++;
  const kioskController = defaultHciHub.add(kioskId);
  const phoneController = defaultHciHub.add(phoneId);
  const requests: TapCheckinRequest[] = [];
  const peripheral = createBlenoPeripheral({ socket: VirtualHciSocket, deviceId: kioskId });
  const checkin = await startGattCheckin(peripheral, {
    rssiSamples: 4,
    rssiWindowMs: 150,
    handler: async (req) => {
      requests.push(req);
      if (req.rssiDbm < THRESHOLD_DBM) throw new WaymarkError('WAYMARK_ERR_CHECKIN_TOO_FAR', `${req.rssiDbm.toFixed(1)} dBm`);
      return attestationFor(req);
    },
    ...opts,
  });
  const outcomes: TapOutcome[] = [];
  checkin.on('tap', (o) => outcomes.push(o));
  await peripheral.setData(BEACON_AD, checkinServiceAd());
  await peripheral.start(100);
  const phone = createPhoneTapClient({ socket: VirtualHciSocket, deviceId: phoneId });
  // the air: every controller hears every other one's advertising every 20 ms
  const air = setInterval(() => defaultHciHub.exchange(Date.now()), 20);
  t.teardown(async () => {
    clearInterval(air);
    await phone.close();
    await checkin.close();
    await peripheral.close();
    defaultHciHub.remove(kioskId);
    defaultHciHub.remove(phoneId);
  });
  return { kioskId, phoneId, kioskController, phoneController, peripheral, checkin, phone, requests, outcomes };
}

