/** The signed beacon frame is also readable from a GATT characteristic (real bleno server, real noble client). */
import t from 'tap';
import { formatAddress } from '../../sim/air.js';
import { KioskBeacon, BEACON_GATT_FRAME_CHARACTERISTIC_UUID, BEACON_GATT_SERVICE_UUID, fromHex, verifyBeaconFrame } from '../../beacon/index.js';
import { kioskAndPhone } from '../helpers/virtual-ble.js';

t.test('a phone connects and reads the whole 85-byte frame; it verifies', async (t) => {
  const beacon = new KioskBeacon({ secretKey: fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'), geohash: 'u4pruydqq' });
  const now = Date.UTC(2026, 7, 1, 9);
  const frame = beacon.at(now).frame;
  const { kioskController, phone } = await kioskAndPhone(t, { beaconFrame: () => frame });

  const noble = phone.noble as any;
  if (noble.state !== 'poweredOn') await new Promise((r) => noble.once('stateChange', r));
  const kioskAddress = formatAddress(kioskController.address);
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
