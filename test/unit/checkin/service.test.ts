/**
 * The check-in service's actions: QR check-in with replay per visitor and expiry, the BLE
 * tap threshold, the clock guard, and the sequence numbers and records the batcher reads.
 */
import t from 'tap';
import { Wallet } from 'ethers';
import { verifyAttestation } from '../../../beacon/visitor/attestation.js';
import { createTapCheckinHandler } from '../../../kiosk/checkin/tap.js';
import { makeService, visitorHex, KIOSK_KEY } from './helpers.js';

t.test('a QR check-in returns a stored, verifiable attestation', async (t) => {
  const { service, clock } = makeService(t);
  const { token } = service.currentToken();
  const att = service.checkinWithToken({ visitor: visitorHex(1), token });
  t.same(verifyAttestation(att, { visitor: visitorHex(1), chainId: 31337, venueId: 7 }).signer, new Wallet(KIOSK_KEY).address);
  t.same(att.typedData.message, { venueId: 7, kiosk: new Wallet(KIOSK_KEY).address, geohash: 'u4pruydqq', visitor: visitorHex(1), time: clock.now() / 1000, presence: 'qr-token', seq: 0 });
  t.equal(service.records.getAttestation(att.id)?.attestation.signature, att.signature, 'stored');
  t.same(service.status().attestations, { total: 1, unbatched: 1 });
});

t.test('a token is single-use per visitor, shared between visitors, and expires', async (t) => {
  const { service, clock } = makeService(t, { checkin: { tokenPeriodS: 20, tokenValidityS: 30 } });
  const { token } = service.currentToken();
  service.checkinWithToken({ visitor: visitorHex(1), token });
  t.throws(() => service.checkinWithToken({ visitor: visitorHex(1), token }), { code: 'WAYMARK_ERR_CHECKIN_TOKEN_USED' }, 'replay by the same visitor');
  t.equal(service.checkinWithToken({ visitor: visitorHex(2), token }).typedData.message.seq, 1, 'another visitor may use the same screen token; the refused replay used no seq');
  clock.advance(30_000);
  t.throws(() => service.checkinWithToken({ visitor: visitorHex(3), token }), { code: 'WAYMARK_ERR_CHECKIN_TOKEN_EXPIRED' });
  const fresh = service.currentToken().token;
  t.not(fresh, token, 'the screen shows a new token');
  t.equal(service.checkinWithToken({ visitor: visitorHex(1), token: fresh }).typedData.message.seq, 2, 'the same visitor checks in again with the new token');
  t.throws(() => service.checkinWithToken({ visitor: 'nope', token: fresh }), { code: 'WAYMARK_ERR_BAD_REQUEST' });
  t.same(service.status().checkins, { qr: 3, tap: 0, nfc: 0, refused: 3 });
});

t.test('replays are refused across a restart (the guard is in the store)', async (t) => {
  const first = makeService(t);
  const { token } = first.service.currentToken();
  first.service.checkinWithToken({ visitor: visitorHex(9), token });
  const second = makeService(t, { dbPath: first.dbPath, clock: first.clock });
  t.throws(() => second.service.checkinWithToken({ visitor: visitorHex(9), token }), { code: 'WAYMARK_ERR_CHECKIN_TOKEN_USED' });
  t.equal(second.service.checkinWithToken({ visitor: visitorHex(10), token }).typedData.message.seq, 1, 'the kiosk seq continues after a restart');
});

t.test('the tap threshold refuses a far phone and accepts a near one', async (t) => {
  const { service } = makeService(t, { checkin: { tapThresholdDbm: -45 } });
  const handler = createTapCheckinHandler(service);
  const visitor = new Uint8Array(32).fill(7);
  await t.rejects(handler({ visitor, rssiDbm: -60, peer: '40:00:00:00:00:01' }), { code: 'WAYMARK_ERR_CHECKIN_TOO_FAR', details: { rssiDbm: -60, thresholdDbm: -45 } });
  await t.rejects(handler({ visitor, rssiDbm: -45.5, peer: '40:00:00:00:00:01' }), { code: 'WAYMARK_ERR_CHECKIN_TOO_FAR' }, 'just below');
  const bytes = await handler({ visitor, rssiDbm: -45, peer: '40:00:00:00:00:01' });
  t.ok(bytes instanceof Uint8Array);
  const { attestation } = JSON.parse(new TextDecoder().decode(bytes));
  t.equal(attestation.typedData.message.presence, 'ble-tap');
  t.equal(attestation.typedData.message.visitor, '0x' + '07'.repeat(32));
  t.equal(verifyAttestation(attestation).signer, new Wallet(KIOSK_KEY).address);
  await t.rejects(handler({ visitor: new Uint8Array(31), rssiDbm: -30, peer: 'x' }), { code: 'WAYMARK_ERR_BAD_REQUEST' });
  await t.rejects(handler({ visitor, rssiDbm: Number.NaN, peer: 'x' }), { code: 'WAYMARK_ERR_RSSI_OUT_OF_RANGE' });
});

t.test('taps are rate limited per BLE peer', async (t) => {
  const { service } = makeService(t, { checkin: { rateLimit: { checkinsPerMinute: 2 } } });
  const visitor = new Uint8Array(32).fill(1);
  service.tapCheckin({ visitor, rssiDbm: -30, peer: 'p1' });
  service.tapCheckin({ visitor, rssiDbm: -30, peer: 'p1' });
  t.throws(() => service.tapCheckin({ visitor, rssiDbm: -30, peer: 'p1' }), { code: 'WAYMARK_ERR_RATE_LIMITED' });
  t.ok(service.tapCheckin({ visitor, rssiDbm: -30, peer: 'p2' }), 'another phone is not limited');
});

t.test('an unsynced clock refuses every check-in path and the token', async (t) => {
  const { service, clock } = makeService(t);
  const { token } = service.currentToken();
  clock.setSyncStatus({ synced: false, source: 'none', detail: 'no NTP yet' });
  const unsynced = { code: 'WAYMARK_ERR_CLOCK_UNSYNCED', statusCode: 503 };
  t.throws(() => service.currentToken(), unsynced);
  t.throws(() => service.checkinWithToken({ visitor: visitorHex(1), token }), unsynced);
  t.throws(() => service.tapCheckin({ visitor: new Uint8Array(32), rssiDbm: -30, peer: 'p' }), unsynced);
  t.equal(service.status().clock.synced, false);
  t.same(service.status().attestations, { total: 0, unbatched: 0 }, 'nothing signed');
  clock.setSyncStatus({ synced: true, source: 'manual' });
  t.ok(service.checkinWithToken({ visitor: visitorHex(1), token }), 'attests again once synced');
});

t.test('the batcher interface: unbatched records, markBatched all-or-nothing and idempotent', async (t) => {
  const { service, clock } = makeService(t);
  for (let i = 0; i < 5; i++) {
    service.tapCheckin({ visitor: new Uint8Array(32).fill(i), rssiDbm: -30, peer: `p${i}` });
    clock.advance(1000);
  }
  const first = service.records.listUnbatchedAttestations(3);
  t.same(first.map((r) => r.kioskSeq), [0, 1, 2], 'oldest first');
  t.same(first[0].leafEncoding, ['bytes32']);
  t.same(first[0].leaf, [first[0].id]);
  t.equal(service.records.markBatched(first.map((r) => r.id), 0), 3);
  t.equal(service.records.markBatched(first.map((r) => r.id), 0), 0, 'idempotent retry');
  t.same(service.records.listUnbatchedAttestations(10).map((r) => r.kioskSeq), [3, 4]);
  const rest = service.records.listUnbatchedAttestations(10).map((r) => r.id);
  t.throws(() => service.records.markBatched([rest[0], first[0].id], 1), { code: 'WAYMARK_ERR_STORE' }, 'a record already in another batch');
  t.same(service.records.listUnbatchedAttestations(10).map((r) => r.kioskSeq), [3, 4], 'nothing changed (all or nothing)');
  t.throws(() => service.records.markBatched(['0x' + '00'.repeat(32)], 1), { code: 'WAYMARK_ERR_STORE' }, 'unknown id');
  t.same(service.records.listBatch(0).map((r) => r.kioskSeq), [0, 1, 2]);
  t.equal(service.records.getAttestation(first[1].id)?.batchSeq, 0);
  t.same(service.records.counts(), { total: 5, unbatched: 2 });
  t.equal(service.records.deleteBatchedBefore(clock.now()), 3, 'retention deletes batched rows only');
  t.same(service.records.counts(), { total: 2, unbatched: 2 });
});
