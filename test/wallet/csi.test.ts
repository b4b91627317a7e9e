/**
 * The wallet's pure helpers: S2 crypto-spatiotemporal records (AES-GCM round trip, wrong
 * key, another record's binding, altered bytes), the wallet link form of a check-in URL,
 * ExposureReported log decoding, and the kiosk's dwell figure from its histogram.
 */
import t from 'tap';
import { AbiCoder, id as keccakText, zeroPadValue, toBeHex } from 'ethers';
import {
  decodeCsi, encodeCsi, generateRecordKey, openCsi, openJson, sealCsi, sealJson,
} from '../../beacon/visitor/csi.js';
import { checkinUrl, parseCheckinUrl, walletCheckinUrl } from '../../beacon/visitor/checkin-token.js';
import { EXPOSURE_REPORTED_TOPIC, decodeExposureLog } from '../../beacon/visitor/exposure-logs.js';
import { medianDwellS } from '../../kiosk/checkin/dwell-figure.js';

const ID = '0x' + 'ab'.repeat(32);

t.test('a CSI record is `<unix> <geohash-9>` and round-trips through AES-GCM', async (t) => {
  t.equal(encodeCsi({ time: 1577808060, geohash: 'xn775hh8b' }), '1577808060 xn775hh8b', 'the S2 paper\'s example');
  t.same(decodeCsi('1577808060 xn775hh8b'), { time: 1577808060, geohash: 'xn775hh8b' });
  t.throws(() => encodeCsi({ time: 1, geohash: 'xn775hh8' }), TypeError);
  t.throws(() => encodeCsi({ time: -1, geohash: 'xn775hh8b' }), RangeError);
  t.throws(() => decodeCsi('1577808060 xn775hh8a'), { code: 'WAYMARK_ERR_RECORD_SEALED' }, 'a is not a geohash character');

  const key = await generateRecordKey();
  t.equal(key.extractable, false, 'the key cannot be exported');
  await t.rejects(crypto.subtle.exportKey('raw', key), 'exportKey refuses it');
  const sealed = await sealCsi(key, { time: 1577808060, geohash: 'xn775hh8b' }, ID);
  t.match(sealed, { iv: /^[0-9a-f]{24}$/, ciphertext: /^[0-9a-f]+$/ });
  t.equal(sealed.ciphertext.length / 2, 20 + 16, '20 plaintext bytes + the 16-byte tag');
  t.notMatch(JSON.stringify(sealed), /xn775hh8b|1577808060/, 'nothing readable');
  t.same(await openCsi(key, sealed, ID), { time: 1577808060, geohash: 'xn775hh8b' });
  const again = await sealCsi(key, { time: 1577808060, geohash: 'xn775hh8b' }, ID);
  t.not(again.ciphertext, sealed.ciphertext, 'a fresh nonce each time: equal visits do not look equal');
});

t.test('a record does not open with another key, under another record id, or altered', async (t) => {
  const key = await generateRecordKey();
  const other = await generateRecordKey();
  const sealed = await sealCsi(key, { time: 1780000000, geohash: 'u4pruydqq' }, ID);
  await t.rejects(openCsi(other, sealed, ID), { code: 'WAYMARK_ERR_RECORD_SEALED' }, 'wrong key');
  await t.rejects(openCsi(key, sealed, '0x' + 'cd'.repeat(32)), { code: 'WAYMARK_ERR_RECORD_SEALED' }, 'moved to another entry');
  const flipped = { ...sealed, ciphertext: (sealed.ciphertext[0] === '0' ? '1' : '0') + sealed.ciphertext.slice(1) };
  await t.rejects(openCsi(key, flipped, ID), { code: 'WAYMARK_ERR_RECORD_SEALED' }, 'altered ciphertext');
  await t.rejects(openCsi(key, { ...sealed, iv: '00'.repeat(12) }, ID), { code: 'WAYMARK_ERR_RECORD_SEALED' }, 'another nonce');
  await t.rejects(openCsi(key, { ...sealed, iv: 'zz' }, ID), { code: 'WAYMARK_ERR_RECORD_SEALED' }, 'not hex');

  const entry = { kioskUrl: 'http://kiosk.local', nested: { n: 1 } };
  const box = await sealJson(key, entry, ID);
  t.same(await openJson(key, box, ID), entry, 'a whole wallet entry round-trips');
  await t.rejects(openJson(other, box, ID), { code: 'WAYMARK_ERR_RECORD_SEALED' });
});

t.test('a check-in URL is the kiosk page or a wallet link; both parse to kiosk + token', async (t) => {
  const token = 'AQ_-x';
  const link = walletCheckinUrl('https://wallet.example.org/w/#old', 'http://kiosk.local:8080/', token);
  t.equal(link, 'https://wallet.example.org/w/#kiosk=http%3A%2F%2Fkiosk.local%3A8080&token=AQ_-x', 'kiosk and token ride in the fragment');
  t.same(parseCheckinUrl(link), { kioskUrl: 'http://kiosk.local:8080', token });
  t.same(parseCheckinUrl(checkinUrl('http://kiosk.local:8080', token)), { kioskUrl: 'http://kiosk.local:8080', token }, 'the /checkin form still parses');
  t.throws(() => parseCheckinUrl('https://w.example/#kiosk=javascript%3Aalert(1)&token=x'), { code: 'WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED' });
  t.throws(() => parseCheckinUrl('https://w.example/#kiosk=http%3A%2F%2Fk&token='), { code: 'WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED' });
});

t.test('ExposureReported logs decode; anything else is refused', async (t) => {
  t.equal(EXPOSURE_REPORTED_TOPIC, keccakText('ExposureReported(uint64,address,uint64,uint64,uint64)'));
  const authority = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
  const log = {
    address: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    topics: [EXPOSURE_REPORTED_TOPIC, zeroPadValue(toBeHex(7), 32), zeroPadValue(authority, 32)],
    data: AbiCoder.defaultAbiCoder().encode(['uint64', 'uint64', 'uint64'], [1780000000, 1780003600, 1781213200]),
    blockNumber: '0x2a',
    transactionHash: '0x' + '11'.repeat(32),
  };
  t.same(decodeExposureLog(log), {
    venueId: 7, authority: authority.toLowerCase(), from: 1780000000, to: 1780003600, expiresAt: 1781213200, txHash: log.transactionHash, blockNumber: 42,
  });
  t.throws(() => decodeExposureLog({ ...log, topics: [keccakText('Other()'), ...log.topics.slice(1)] }), { code: 'WAYMARK_ERR_CHAIN_UNAVAILABLE' });
  t.throws(() => decodeExposureLog({ ...log, data: '0x00' }), { code: 'WAYMARK_ERR_CHAIN_UNAVAILABLE' });
});

t.test('the kiosk dwell figure is the histogram median, interpolated, and only with enough sessions', async (t) => {
  const h = (...counts: number[]) => [1, 5, 15, 30, 60, 120, null].map((le, i) => ({ le, count: counts[i] ?? 0 }));
  t.equal(medianDwellS(h(0, 0, 10, 10)), 15 * 60, 'half the sessions under 15 min, half 15..30');
  t.equal(medianDwellS(h(0, 0, 0, 20)), Math.round(22.5 * 60), 'the middle of the 15..30 bucket');
  t.equal(medianDwellS(h(0, 0, 0, 0, 0, 0, 12)), 120 * 60, 'the open-ended bucket counts as 2 h');
  t.equal(medianDwellS(h(1, 2, 3)), undefined, 'fewer than 10 sessions: no figure');
  t.equal(medianDwellS(h()), undefined);
});
