import t from 'tap';
import { isWaymarkError } from '../../../core/errors.js';
import { TapResponseAssembler, encodeTapResponse, type TapMessage } from '../../../kiosk/radio/tap-frames.js';

const hex = (chunks: Uint8Array[]) => chunks.map((c) => Buffer.from(c).toString('hex'));

t.test('byte layout: the first chunk carries seq 0, the body length and the status', async (t) => {
  const body = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.same(hex(encodeTapResponse({ ok: true, body }, 8)), [
    '00' + '0a00' + '00' + '01020304', // seq 0, length 10 (LE), status OK, 4 bytes of body
    '01' + '05060708090a', // seq 1, the other 6 bytes
  ]);
  t.same(hex(encodeTapResponse({ ok: false, code: 'E' }, 20)), ['00' + '0100' + '01' + '45'], 'status 1, ASCII code');
  t.same(hex(encodeTapResponse({ ok: true, body: new Uint8Array(0) }, 20)), ['00000000'], 'an empty body is one header');
});

t.test('every message survives every chunk size', async (t) => {
  for (const size of [5, 20, 64, 253]) {
    for (const length of [0, 1, size - 4, size - 3, 600, 5000]) {
      const body = Uint8Array.from({ length }, (_, i) => (i * 7 + length) & 0xff);
      const chunks = encodeTapResponse({ ok: true, body }, size);
      t.ok(chunks.every((c) => c.length <= size), `chunks fit ${size}`);
      const a = new TapResponseAssembler();
      let out: TapMessage | null = null;
      chunks.forEach((c, i) => {
        out = a.push(c);
        if (i < chunks.length - 1) t.equal(out, null);
      });
      t.same(out, { ok: true, body }, `${length} bytes in ${size}-byte chunks`);
      t.equal(a.chunks, chunks.length);
    }
  }
  const a = new TapResponseAssembler();
  const chunks = encodeTapResponse({ ok: false, code: 'WAYMARK_ERR_CHECKIN_TOO_FAR' }, 20);
  t.equal(chunks.length, 2);
  a.push(chunks[0]);
  t.same(a.push(chunks[1]), { ok: false, code: 'WAYMARK_ERR_CHECKIN_TOO_FAR' });
});

t.test('a missing chunk, an unknown status or excess bytes are WAYMARK_ERR_CHECKIN_TAP_FAILED (frame)', async (t) => {
  const chunks = encodeTapResponse({ ok: true, body: new Uint8Array(100) }, 20);
  const gap = new TapResponseAssembler();
  gap.push(chunks[0]);
  let err: unknown;
  try {
    gap.push(chunks[2]);
  } catch (e) {
    err = e;
  }
  t.ok(isWaymarkError(err, 'WAYMARK_ERR_CHECKIN_TAP_FAILED'), String(err));
  t.equal((err as { details?: { reason?: string } }).details?.reason, 'frame');
  t.match((err as Error).message, /chunk 2 where 1 was due/);
  t.throws(() => new TapResponseAssembler().push(Uint8Array.from([0, 1, 0, 0x07, 0])), /unknown status/);
  t.throws(() => new TapResponseAssembler().push(Uint8Array.from([0, 1, 0, 0x00, 1, 2])), /more than the 1 bytes/);
  t.throws(() => new TapResponseAssembler().push(Uint8Array.from([0, 1])), /shorter than its header/);
  t.throws(() => encodeTapResponse({ ok: true, body: new Uint8Array(0x10000) }, 20), RangeError);
  t.throws(() => encodeTapResponse({ ok: true, body: new Uint8Array(1) }, 4), RangeError);
});
