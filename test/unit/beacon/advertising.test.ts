import t from 'tap';
import {
  BEACON_SERVICE_UUID16, beaconFragmentsInAd, beaconSchedule, decodeBeaconFragment, extendedAdvertisingData,
  fragmentBeaconFrame, fromHex, gattFrameValue, parseAdStructures, reassembleBeaconFrame, serviceDataAd, toHex,
} from '../../../beacon/index.js';
import { vectors } from './vectors.js';

t.test('the encoder reproduces every golden fragment, page and extended form', async (t) => {
  for (const v of vectors.valid) {
    const frame = fromHex(v.frame);
    t.same(fragmentBeaconFrame(frame).map(toHex), v.fragments, `${v.name}: fragments`);
    t.same(beaconSchedule(frame).map((p) => ({ advertisement: toHex(p.advertisement), scanResponse: toHex(p.scanResponse), fragments: p.fragments })), v.pages, `${v.name}: pages`);
    t.equal(toHex(extendedAdvertisingData(frame)), v.extended, `${v.name}: extended`);
    t.equal(toHex(gattFrameValue(frame)), v.frame, `${v.name}: GATT value`);
  }
});

t.test('legacy pages fit 31 bytes: Flags + one Service Data AD, scan response one Service Data AD', async (t) => {
  for (const page of beaconSchedule(fromHex(vectors.valid[0].frame))) {
    t.ok(page.advertisement.length <= 31, `advertisement ${page.advertisement.length} bytes`);
    t.ok(page.scanResponse.length <= 31, `scan response ${page.scanResponse.length} bytes`);
    const adv = parseAdStructures(page.advertisement);
    t.same(adv.map((s) => s.type), [0x01, 0x16]);
    t.same([...adv[0].data], [0x06], 'LE General Discoverable, BR/EDR not supported');
    t.same([...adv[1].data.subarray(0, 2)], [0xd1, 0xfc], 'UUID16 0xFCD1, little-endian');
    t.same(parseAdStructures(page.scanResponse).map((s) => s.type), [0x16]);
  }
  const [first] = beaconSchedule(fromHex(vectors.valid[0].frame));
  t.equal(first.advertisement.length, 31, 'the advertisement is full');
});

t.test('schedule: any two consecutive pages, or the four advertisements alone, carry every fragment', async (t) => {
  const pages = beaconSchedule(fromHex(vectors.valid[0].frame));
  t.same(pages.map((p) => p.fragments), [[0, 1], [2, 3], [1, 0], [3, 2]]);
  for (let i = 0; i < pages.length; i++) {
    const two = [pages[i], pages[(i + 1) % pages.length]];
    const idx = new Set(two.flatMap((p) => [...beaconFragmentsInAd(p.advertisement), ...beaconFragmentsInAd(p.scanResponse)]).map((f) => decodeBeaconFragment(f).index));
    t.equal(idx.size, 4, `pages ${i} and ${(i + 1) % pages.length}`);
  }
  const passive = new Set(pages.flatMap((p) => beaconFragmentsInAd(p.advertisement)).map((f) => decodeBeaconFragment(f).index));
  t.equal(passive.size, 4, 'advertisements only (passive scanning)');
});

t.test('extended single-PDU form: one Service Data AD with fragment 0 of 1', async (t) => {
  const v = vectors.valid[0];
  const ext = fromHex(v.extended);
  t.equal(ext.length, 94);
  t.ok(ext.length <= 254, 'fits one AUX_ADV_IND');
  const [only] = beaconFragmentsInAd(ext);
  const f = decodeBeaconFragment(only);
  t.same([f.index, f.count], [0, 1]);
  t.equal(toHex(reassembleBeaconFrame([only])), v.frame);
});

t.test('AD parsing', async (t) => {
  t.same(parseAdStructures(Uint8Array.of(2, 1, 6, 0, 0, 0)).length, 1, 'zero length ends the significant part');
  t.throws(() => parseAdStructures(Uint8Array.of(2, 1, 6, 5, 0x16, 1)), { code: 'WAYMARK_ERR_AD_MALFORMED' });
  const other = serviceDataAd(Uint8Array.of(1, 2, 3), 0xfeaa);
  t.same(beaconFragmentsInAd(other), [], 'other UUIDs are ignored');
  t.same(beaconFragmentsInAd(serviceDataAd(Uint8Array.of(9), BEACON_SERVICE_UUID16)).map((b) => [...b]), [[9]]);
});

t.test('fragmenting refuses frames the verifier would refuse and impossible sizes', async (t) => {
  const frame = fromHex(vectors.valid[0].frame);
  t.throws(() => fragmentBeaconFrame(frame.slice(0, 84)), { code: 'WAYMARK_ERR_BEACON_MALFORMED' });
  t.throws(() => fragmentBeaconFrame(frame, 5), RangeError, '17 fragments do not fit the 4-bit count');
  t.throws(() => fragmentBeaconFrame(frame, 0), RangeError);
});
