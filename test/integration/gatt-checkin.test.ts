import t from 'tap';
import { WaymarkError, isWaymarkError } from '../../core/errors.js';
import { defaultHciHub } from '../../sim/hci-hub.js';
import { COMMITMENT_CHARACTERISTIC_UUID, checkinServiceAd } from '../../kiosk/radio/gatt-checkin.js';
import { createPhoneTapClient } from '../../sim/phone-tap.js';
import { ANSWER_LENGTH, attestationFor, freshDevId, kioskAndPhone } from '../helpers/virtual-ble.js';
import { VirtualHciSocket } from '../../sim/hci-socket.js';
import { ManualClock } from '../../core/clock.js';
import { captureConsole } from '../helpers/console-capture.js';
import { createNobleScanner } from '../../kiosk/radio/noble-scanner.js';

const visitor = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);

t.test('a phone held against the kiosk (-40 dBm) gets the handler\'s 600 bytes intact, over real ACL/ATT', async (t) => {
  const { kioskId, phoneId, kioskController, phoneController, peripheral, checkin, phone, requests } = await kioskAndPhone(t);
  defaultHciHub.setLinkRssi(kioskId, phoneId, -40);
  const phoneTx: Buffer[] = [];
  phoneController.on('acl', (dir, packet) => {
    if (dir === 'tx') phoneTx.push(Buffer.from(packet));
  });

  const result = await phone.tap(visitor);
  t.ok(result.ok, JSON.stringify(result));
  if (!result.ok) return;
  const expected = attestationFor({ visitor, rssiDbm: -40, peer: '' });
  t.equal(result.response.length, ANSWER_LENGTH);
  t.same(Buffer.from(result.response), Buffer.from(expected), 'byte for byte');
  t.equal(result.mtu, 256, 'noble and bleno negotiated ATT_MTU 256');
  t.equal(result.chunks, 3, '600 bytes + 4 header bytes in 253-byte notifications');

  t.equal(requests.length, 1);
  t.same([...requests[0].visitor], [...visitor]);
  t.equal(requests[0].rssiDbm, -40);
  t.equal(requests[0].peer, 'b8:27:eb:00:00:' + (phoneId + 1).toString(16).padStart(2, '0'), 'the phone\'s address');

  // the bytes on the virtual link: an ATT Write Request (0x12) to the commitment value handle, in an L2CAP frame on the ATT channel
  const valueHandle = peripheral.valueHandle(COMMITMENT_CHARACTERISTIC_UUID)!;
  t.equal(valueHandle, 12, 'the handle docs/PROTOCOL.md gives');
  const write = phoneTx.find((p) => p[9] === 0x12 && p.readUInt16LE(10) === valueHandle);
  t.ok(write, 'the phone\'s controller carried an ATT Write Request to the commitment characteristic');
  t.equal(write!.readUInt16LE(7), 0x0004, 'L2CAP channel 4 (ATT)');
  t.same([...write!.subarray(12)], [...visitor], 'the commitment is the write\'s value');
  t.ok(kioskController.counters().aclToHost > 0 && kioskController.counters().aclFromHost > 0);
  t.equal(kioskController.counters().aclDropped, 0);
  t.match(checkin.stats(), { connections: 1, requests: 1, answered: 1, refused: 0, malformed: 0, aborted: 0, chunks: 3 });

  // the phone disconnected; the kiosk advertises its beacon again
  await until(() => kioskController.advertising().enabled && defaultHciHub.links().length === 0);
  t.equal(peripheral.central, null);
});

t.test('a phone across the room (-70 dBm) gets WAYMARK_ERR_CHECKIN_TOO_FAR', async (t) => {
  const { kioskId, phoneId, phone, checkin, outcomes } = await kioskAndPhone(t);
  defaultHciHub.setLinkRssi(kioskId, phoneId, -70, 2);
  const result = await phone.tap(visitor);
  t.same(result.ok, false);
  if (result.ok) return;
  t.equal(result.code, 'WAYMARK_ERR_CHECKIN_TOO_FAR');
  t.equal(result.attError, undefined, 'the write itself was accepted');
  t.match(checkin.stats(), { requests: 1, answered: 0, refused: 1 });
  t.equal(outcomes[0].samples.length, 4);
  t.ok(outcomes[0].rssiDbm! < -60 && outcomes[0].rssiDbm! > -80, `filtered ${outcomes[0].rssiDbm}`);
});

t.test('a 31-byte commitment gets ATT error 0x0D and WAYMARK_ERR_CHECKIN_TAP_MALFORMED; the kiosk keeps serving', async (t) => {
  const { kioskId, phoneId, phone, checkin, requests } = await kioskAndPhone(t);
  defaultHciHub.setLinkRssi(kioskId, phoneId, -40);
  const bad = await phone.tap(visitor.subarray(0, 31));
  t.same(bad, { ok: false, code: 'WAYMARK_ERR_CHECKIN_TAP_MALFORMED', kiosk: bad.kiosk, attError: 0x0d });
  t.equal(requests.length, 0, 'the handler never saw it');
  t.match(checkin.stats(), { malformed: 1, requests: 0 });

  const good = await phone.tap(visitor);
  t.equal(good.ok, true, 'the next tap is answered');
  t.match(checkin.stats(), { connections: 2, malformed: 1, requests: 1, answered: 1 });
});

t.test('a phone that leaves mid-answer does not crash the kiosk, which then serves the next phone', async (t) => {
  const { kioskId, phoneId, phone, checkin, outcomes } = await kioskAndPhone(t, {
    // 20 000 bytes: 80 notifications, so the phone leaves long before the last one
    handler: async () => new Uint8Array(20_000).fill(0x5a),
  });
  defaultHciHub.setLinkRssi(kioskId, phoneId, -40);
  const err = await phone.tap(visitor, { disconnectAfterChunks: 1 }).then(() => null, (e: unknown) => e);
  t.ok(isWaymarkError(err, 'WAYMARK_ERR_CHECKIN_TAP_FAILED'), String(err));
  t.equal((err as WaymarkError).details?.reason, 'disconnected');
  await until(() => outcomes.length === 1);
  t.equal(outcomes[0].result, 'aborted');
  const stats = checkin.stats();
  t.equal(stats.aborted, 1);
  t.ok(stats.chunks >= 1 && stats.chunks < 80, `sent ${stats.chunks} of 80 chunks before noticing`);

  const again = await phone.tap(visitor);
  t.equal(again.ok, true);
  if (again.ok) t.equal(again.response.length, 20_000);
});

t.test('a link lost while the kiosk measures RSSI ends the tap as aborted', async (t) => {
  let lose = () => {};
  const { kioskId, phoneId, phone, checkin, outcomes, requests } = await kioskAndPhone(t, { rssiSamples: 4, rssiWindowMs: 300 });
  defaultHciHub.setLinkRssi(kioskId, phoneId, -40);
  lose = () => {
    const [info] = defaultHciHub.links();
    if (info) defaultHciHub.dropLink(info.link);
  };
  const tap = phone.tap(visitor).then(() => null, (e: unknown) => e);
  await until(() => checkin.stats().requests === 1);
  lose();
  const err = await tap;
  t.ok(isWaymarkError(err, 'WAYMARK_ERR_CHECKIN_TAP_FAILED'), String(err));
  await until(() => outcomes.length === 1);
  t.equal(outcomes[0].result, 'aborted');
  t.equal(requests.length, 0, 'no attestation was asked for a phone that left');
});

t.test('two phones tapping at once are served one after the other', async (t) => {
  const { kioskId, phoneId, phone, checkin } = await kioskAndPhone(t);
  const secondId = freshDevId();
  defaultHciHub.add(secondId);
  const second = createPhoneTapClient({ socket: VirtualHciSocket, deviceId: secondId });
  t.teardown(async () => {
    await second.close();
    defaultHciHub.remove(secondId);
  });
  defaultHciHub.setLinkRssi(kioskId, phoneId, -40);
  defaultHciHub.setLinkRssi(kioskId, secondId, -42);
  const other = Uint8Array.from(visitor).reverse();
  const [a, b] = await Promise.all([phone.tap(visitor), second.tap(other)]);
  t.equal(a.ok && b.ok, true, JSON.stringify([a.ok, b.ok]));
  t.match(checkin.stats(), { connections: 2, answered: 2 });
});

t.test('beacon data set while a phone is connected goes on air when it leaves', async (t) => {
  let setDuringTap: Promise<void> | null = null;
  const next = Uint8Array.from([0x02, 0x01, 0x06, 0x03, 0xff, 0x01, 0x02]);
  const { kioskId, phoneId, kioskController, peripheral, phone } = await kioskAndPhone(t, {
    handler: async (req) => {
      setDuringTap = peripheral.setData(next, checkinServiceAd());
      return attestationFor(req);
    },
  });
  defaultHciHub.setLinkRssi(kioskId, phoneId, -40);
  const errors: Error[] = [];
  peripheral.on('error', (e) => errors.push(e));
  const result = await phone.tap(visitor);
  t.equal(result.ok, true);
  t.ok(setDuringTap, 'the handler ran');
  await setDuringTap;
  const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;
  await until(() => kioskController.advertising().enabled && sameBytes(kioskController.advertising().data, next));
  t.pass('the new data is on air once the phone left');
  t.same(errors, []);
});

t.test("the kiosk's scanner on the same adapter counts the taps' link events as foreign, with no radio error and nothing printed", async (t) => {
  const { kioskId, phoneId, kioskController, phone, checkin } = await kioskAndPhone(t);
  defaultHciHub.setLinkRssi(kioskId, phoneId, -40);
  // as the kiosk daemon runs: noble scanning on the adapter bleno serves GATT on
  const scanner = createNobleScanner({ socket: VirtualHciSocket, deviceId: kioskId, clock: new ManualClock(Date.UTC(2026, 4, 1, 12)) });
  const errors: Error[] = [];
  scanner.on('error', (err) => errors.push(err));
  const printed = captureConsole(t);
  t.teardown(async () => {
    await scanner.close();
  });
  await scanner.start();

  for (let i = 0; i < 2; i++) {
    const result = await phone.tap(visitor);
    t.equal(result.ok, true, `tap ${i + 1}`);
    await until(() => defaultHciHub.links().length === 0 && kioskController.advertising().enabled);
  }
  t.match(checkin.stats(), { connections: 2, answered: 2 });
  // 4 Read RSSI answers per tap, and each tap's Disconnection Complete
  await until(() => scanner.stats().foreignEvents >= 10);
  t.equal(scanner.stats().foreignEvents, 10);
  t.equal(scanner.stats().warnings, 0);
  t.same(errors, [], 'no radio error');
  t.same(printed.filter((line) => /noble/i.test(line)), [], 'no noble warning on the console');
});

t.test('a phone that finds no kiosk fails with reason timeout and leaves no connection attempt behind', async (t) => {
  const { phone, phoneController } = await kioskAndPhone(t);
  const err = await phone.tap(visitor, { kioskAddress: '11:22:33:44:55:66', timeoutMs: 300 }).then(() => null, (e: unknown) => e);
  t.ok(isWaymarkError(err, 'WAYMARK_ERR_CHECKIN_TAP_FAILED'), String(err));
  t.equal((err as WaymarkError).details?.reason, 'timeout');
  t.equal(phoneController.initiating, null);
  t.equal(phoneController.scanning().enabled, false, 'scanning stopped');
});

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
