/** The signed beacon frame is also readable from a GATT characteristic (real bleno server, real noble client). */
import t from 'tap';
import { defaultHciHub } from '../../firmware-bridge/sim/hci-hub.js';
import { formatAddress } from '../../firmware-bridge/sim/air.js';
import { createBlenoPeripheral } from '../../kiosk/radio/bleno-advertiser.js';
import { startGattCheckin } from '../../kiosk/radio/gatt-checkin.js';
import { createPhoneTapClient } from '../../kiosk/radio/phone-tap.js';
import { KioskBeacon, BEACON_GATT_FRAME_CHARACTERISTIC_UUID, BEACON_GATT_SERVICE_UUID, fromHex, verifyBeaconFrame } from '../../beacon/index.js';

t.test('a phone connects and reads the whole 85-byte frame; it verifies', async (t) => {
  const kioskId = 90;
  const phoneId = 91;
  const kioskCtl = defaultHciHub.add(kioskId);
  defaultHciHub.add(phoneId);
  const beacon = new KioskBeacon({ secretKey: fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'), geohash: 'u4pruydqq' });
  const now = Date.UTC(2026, 7, 1, 9);
  const frame = beacon.at(now).frame;
  const peripheral = createBlenoPeripheral({ socket: 'virtual', deviceId: kioskId });
  const gatt = await startGattCheckin(peripheral, { handler: async () => new Uint8Array(0), beaconFrame: () => frame });
  await peripheral.setData(beacon.at(now).pages[0]!.advertisement, beacon.at(now).pages[0]!.scanResponse);
  await peripheral.start(100);
  const phone = createPhoneTapClient({ socket: 'virtual', deviceId: phoneId });
  const air = setInterval(() => defaultHciHub.exchange(Date.now()), 20);
  t.teardown(async () => {
    clearInterval(air);
    await phone.close();
    await gatt.close();
    await peripheral.close();
    defaultHciHub.remove(kioskId);
    defaultHciHub.remove(phoneId);
  });

  const noble = phone.noble as any;
  if (noble.state !== 'poweredOn') await new Promise((r) => noble.once('stateChange', r));
  const kioskAddress = formatAddress(kioskCtl.address);
  const found = new Promise<any>((resolve) => noble.on('discover', (p: any) => p.address === kioskAddress && resolve(p)));
  await noble.startScanningAsync([], true);
  const p = await found;
  await noble.stopScanningAsync();
  await p.connectAsync();
  const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync([BEACON_GATT_SERVICE_UUID], [BEACON_GATT_FRAME_CHARACTERISTIC_UUID.replace(/-/g, '')]);
  t.equal(characteristics.length, 1, 'the beacon frame characteristic is there');
  const value: Buffer = await characteristics[0].readAsync();
  await p.disconnectAsync();
  t.equal(value.length, 85, 'the whole frame, not truncated (long read over a 23-byte MTU if need be)');
  t.same([...value], [...frame]);
  t.equal(verifyBeaconFrame(new Uint8Array(value), beacon.publicKey, now / 1000).valid, true);
});
