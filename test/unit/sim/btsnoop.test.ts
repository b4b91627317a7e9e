import t from 'tap';
import { readFile, writeFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { isWaymarkError } from '../../../core/errors.js';
import { AdvEventType, encodeAdvertisingReportEvent, parseAddress, type AirPacket } from '../../../sim/air.js';
import {
  BTSNOOP_EPOCH_OFFSET_US, BtsnoopWriter, encodeBtsnoopHeader,
  encodeBtsnoopRecord, parseBtsnoop, readBtsnoop, type BtsnoopRecord,
} from '../../../kiosk/radio/hci/btsnoop.js';
import { decodeAdvertisingReports } from '../../../kiosk/radio/hci/parser.js';
import { VirtualVenue } from '../../../sim/venue.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const T0 = Date.UTC(2026, 0, 1);

async function readAll(path: string, chunkBytes?: number) {
  const reading = readBtsnoop(path, { chunkBytes });
  const records: BtsnoopRecord[] = [];
  for await (const r of reading) records.push(r);
  return { records, stats: reading.stats };
}

const packet: AirPacket = {
  time: T0,
  address: parseAddress('4a:11:22:33:44:55'),
  addressType: 1,
  eventType: AdvEventType.ADV_IND,
  data: fromHex('02011a'),
  rssi: -60,
};

t.test('header bytes are the btsnoop magic, version 1, datalink 1002 (H4)', async (t) => {
  t.equal(hex(encodeBtsnoopHeader()), '6274736e6f6f7000' + '00000001' + '000003ea');
});

t.test('the epoch offset is the one Wireshark and BlueZ use', async (t) => {
  // 719540 whole days: not the proleptic Gregorian count (719528) but what every tool writes.
  // BlueZ keeps it relative to 2000-01-01 (0x00E03AB44A676000), 10957 days later.
  t.equal(BTSNOOP_EPOCH_OFFSET_US, 0x00dcddb30f2f8000n);
  t.equal(BTSNOOP_EPOCH_OFFSET_US, 719_540n * 86_400_000_000n);
  t.equal(0x00e03ab44a676000n - BTSNOOP_EPOCH_OFFSET_US, 10_957n * 86_400_000_000n);
});

t.test('a record is lengths, flags, drops and a big-endian microsecond timestamp', async (t) => {
  const rec = encodeBtsnoopRecord(T0 + 0.001, 0x03, fromHex('040e04010c2000'));
  t.equal(
    hex(rec),
    '00000007' + // original length
      '00000007' + // included length
      '00000003' + // flags: received, command/event
      '00000000' + // cumulative drops
      '00e324fb554fc001' + // 2026-01-01T00:00:00.000001Z in µs since year 0
      '040e04010c2000', // H4 event: Command Complete
  );
});

t.test('encodeAdvertisingReportEvent writes the LE Advertising Report as a controller does', async (t) => {
  t.equal(
    hex(encodeAdvertisingReportEvent(packet)),
    '04' + // H4 event
      '3e' + // LE Meta event
      '0f' + // parameter length 12 + 3
      '02' + // LE Advertising Report
      '01' + // num_reports
      '00' + // ADV_IND
      '01' + // random address
      '5544332211' + '4a' + // address, least significant byte first
      '03' + '02011a' + // data_length, data
      'c4', // rssi -60 as int8
  );
  t.throws(() => encodeAdvertisingReportEvent({ ...packet, data: new Uint8Array(32) }), RangeError);
  t.throws(() => encodeAdvertisingReportEvent({ ...packet, address: new Uint8Array(5) }), RangeError);
  t.throws(() => encodeAdvertisingReportEvent({ ...packet, rssi: -200 }), RangeError);
});

t.test('decodeAdvertisingReports reads back what was encoded, framed or bare', async (t) => {
  const frame = encodeAdvertisingReportEvent(packet);
  for (const bytes of [frame, frame.subarray(1)]) {
    const got = decodeAdvertisingReports(bytes);
    t.ok(got);
    t.equal(got!.malformed, 0);
    t.same(got!.reports.map((r) => ({ ...r, data: hex(r.data) })), [
      { address: '4a:11:22:33:44:55', addressType: 1, eventType: 0, data: '02011a', rssi: -60 },
    ]);
  }
  t.equal(decodeAdvertisingReports(fromHex('040e04010c2000')), null, 'Command Complete is not an advertising report');
  t.equal(decodeAdvertisingReports(fromHex('043e0301')), null, 'other LE subevents are not either');
  t.equal(decodeAdvertisingReports(new Uint8Array(0)), null);
});

t.test('decodeAdvertisingReports reads several reports in one event', async (t) => {
  const event = fromHex(
    '04 3e 1c 02 02' +
      '03 01 665544332211 02 0201 d8' + // ADV_NONCONN_IND, data 0201, rssi -40
      '04 00 cceeddccbbaa 03 0a0900 9c', // SCAN_RSP from a public address, rssi -100
  );
  const got = decodeAdvertisingReports(event)!;
  t.equal(got.malformed, 0);
  t.same(got.reports.map((r) => [r.address, r.addressType, r.eventType, hex(r.data), r.rssi]), [
    ['11:22:33:44:55:66', 1, 3, '0201', -40],
    ['aa:bb:cc:dd:ee:cc', 0, 4, '0a0900', -100],
  ]);
});

t.test('decodeAdvertisingReports counts damaged reports instead of throwing', async (t) => {
  const good = encodeAdvertisingReportEvent(packet);
  const truncated = decodeAdvertisingReports(good.subarray(0, good.length - 2))!;
  t.equal(truncated.reports.length, 0);
  t.equal(truncated.malformed, 1);
  t.match(truncated.problem, /runs past the end/);

  const lying = good.slice();
  lying[13] = 200; // data_length far past the end
  const l = decodeAdvertisingReports(lying)!;
  t.equal(l.malformed, 1);
  t.match(l.problem, /exceeds 31/);

  // Announces 3 reports, carries 1.
  const short = good.slice();
  short[4] = 3;
  const s = decodeAdvertisingReports(short)!;
  t.equal(s.reports.length, 1);
  t.equal(s.malformed, 2);

  // Parameter length shorter than the bytes: never read past it.
  const clipped = good.slice();
  clipped[2] = 5;
  t.equal(decodeAdvertisingReports(clipped)!.malformed, 1);
  t.equal(decodeAdvertisingReports(fromHex('043e0102'))!.malformed, 1);
});

t.test('decodeAdvertisingReports reads LE Extended Advertising Reports', async (t) => {
  const event = fromHex(
    '04 3e 1e 0d 01' +
      '1300' + // event properties: legacy ADV_IND
      '01 665544332211' + // random address
      '01 00 ff' + // primary PHY 1M, no secondary, no SID
      '7f' + // tx power not available
      'c4' + // rssi -60
      '0000' + // no periodic advertising
      '00 000000000000' + // no direct address
      '03 02011a',
  );
  const got = decodeAdvertisingReports(event)!;
  t.equal(got.subevent, 0x0d);
  t.equal(got.malformed, 0);
  const r = got.reports[0];
  t.equal(r.address, '11:22:33:44:55:66');
  t.equal(r.eventType, AdvEventType.ADV_IND);
  t.equal(r.rssi, -60);
  t.equal(hex(r.data), '02011a');
  t.equal(r.extended?.legacy, true);
  t.equal(r.extended?.txPower, 127);
  t.equal(r.extended?.primaryPhy, 1);
  t.equal(decodeAdvertisingReports(event.subarray(0, 20))!.malformed, 1);
});

t.test('write then read gives the same records, to the microsecond', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'capture.btsnoop');
  const writer = await BtsnoopWriter.create(path, { bufferBytes: 64 });
  const reset = fromHex('01030c00'); // HCI_Reset
  writer.writeHciCommand(T0, reset);
  const events: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) {
    const e = encodeAdvertisingReportEvent({ ...packet, time: T0 + i * 12.345, rssi: -40 - (i % 50), data: new Uint8Array(i % 32) });
    events.push(e);
    writer.writeHciEvent(T0 + i * 12.345 + 0.001, e);
  }
  const big = new Uint8Array(300);
  big[0] = 0x02; // ACL, larger than the writer's buffer
  writer.writeH4(T0 + 5000, big, 'received');
  t.equal(writer.recordsWritten, 202);
  await writer.close();

  const fileBytes = new Uint8Array(await readFile(path));
  t.equal(hex(fileBytes.subarray(0, 16)), hex(encodeBtsnoopHeader()));

  for (const chunkBytes of [undefined, 7, 100]) {
    const { records, stats } = await readAll(path, chunkBytes);
    t.equal(records.length, 202, `chunk ${chunkBytes}`);
    t.same(stats, { datalink: 1002, records: 202, skipped: 0, problemCount: 0, problems: [], complete: true });
    t.same([records[0].kind, records[0].direction, records[0].flags, hex(records[0].bytes)], ['command', 'sent', 2, '01030c00']);
    t.equal(records[0].timestampUs, BigInt(T0) * 1000n);
    for (let i = 0; i < 200; i++) {
      const r = records[i + 1];
      t.equal(r.kind, 'event');
      t.equal(r.direction, 'received');
      t.equal(r.flags, 3);
      t.equal(hex(r.bytes), hex(events[i]));
      t.equal(r.timestampUs, BigInt(Math.round((T0 + i * 12.345 + 0.001) * 1000)));
      t.equal(Math.round(r.timeMs * 1000), Math.round((T0 + i * 12.345 + 0.001) * 1000));
    }
    t.same([records[201].kind, records[201].direction, records[201].bytes.length], ['acl', 'received', 300]);
  }
  const parsed = parseBtsnoop(fileBytes);
  t.equal([...parsed].length, 202);
  t.equal(parsed.stats.complete, true);
});

t.test('the writer refuses frames of the wrong kind and writes after close', async (t) => {
  const path = join(t.testdir(), 'w.btsnoop');
  const writer = await BtsnoopWriter.create(path);
  t.throws(() => writer.writeHciEvent(T0, fromHex('3e0102')), RangeError, 'event without its H4 byte');
  t.throws(() => writer.writeHciCommand(T0, fromHex('040e00')), RangeError);
  t.throws(() => writer.writeH4(T0, fromHex('0900'), 'sent'), RangeError);
  await writer.close();
  t.throws(() => writer.writeHciEvent(T0, encodeAdvertisingReportEvent(packet)));
  t.equal((await readFile(path)).length, 16, 'only the header');
});

async function writeSample(path: string, n: number): Promise<void> {
  const writer = await BtsnoopWriter.create(path);
  for (let i = 0; i < n; i++) writer.writeHciEvent(T0 + i, encodeAdvertisingReportEvent({ ...packet, time: T0 + i }));
  await writer.close();
}

t.test('a truncated last record ends reading with a problem, never a throw', async (t) => {
  const dir = t.testdir();
  const recordBytes = 24 + 18;
  for (const cut of [1, 10, recordBytes - 5]) {
    const path = join(dir, `cut-${cut}.btsnoop`);
    await writeSample(path, 5);
    await truncate(path, 16 + 5 * recordBytes - cut);
    const { records, stats } = await readAll(path);
    t.equal(records.length, 4, `cut ${cut}`);
    t.equal(stats.complete, false);
    t.equal(stats.problemCount, 1);
    t.match(stats.problems[0], /record 4 at byte \d+: truncated/);
    const parsed = parseBtsnoop(new Uint8Array(await readFile(path)));
    t.equal([...parsed].length, 4);
    t.equal(parsed.stats.problemCount, 1);
  }
  // A header only is an empty, complete capture.
  const empty = join(dir, 'empty.btsnoop');
  await writeSample(empty, 0);
  const e = await readAll(empty);
  t.same([e.records.length, e.stats.complete], [0, true]);
});

t.test('an impossible record length mid-file stops reading there', async (t) => {
  const path = join(t.testdir(), 'bad-length.btsnoop');
  await writeSample(path, 5);
  const bytes = new Uint8Array(await readFile(path));
  const third = 16 + 2 * 42;
  new DataView(bytes.buffer).setUint32(third + 4, 0xfffffff0); // included length
  await writeFile(path, bytes);
  const { records, stats } = await readAll(path);
  t.equal(records.length, 2);
  t.equal(stats.complete, false);
  t.match(stats.problems[0], /record 2 at byte 100: included length 4294967280 is impossible/);
});

t.test('records with an unknown H4 type are skipped and reading goes on', async (t) => {
  const bytes = Buffer.concat([
    encodeBtsnoopHeader(),
    encodeBtsnoopRecord(T0, 3, fromHex('09ffff')),
    encodeBtsnoopRecord(T0, 3, new Uint8Array(0)),
    encodeBtsnoopRecord(T0 + 1, 3, encodeAdvertisingReportEvent(packet)),
  ]);
  const parsed = parseBtsnoop(bytes);
  const records = [...parsed];
  t.equal(records.length, 1);
  t.same([parsed.stats.skipped, parsed.stats.problemCount, parsed.stats.complete], [2, 2, true]);
});

t.test('a bad header is WAYMARK_ERR_FILE_FORMAT with a clear message', async (t) => {
  const dir = t.testdir();
  const cases: [string, Uint8Array, RegExp][] = [
    ['magic', Buffer.concat([Buffer.from('btsn00p\0'), fromHex('00000001000003ea')]), /does not start with "btsnoop\\0"/],
    ['empty', new Uint8Array(0), /only 0 of the 16 header bytes/],
    ['short', encodeBtsnoopHeader().subarray(0, 10), /only 10 of the 16/],
    ['version', Buffer.concat([Buffer.from('btsnoop\0'), fromHex('00000002000003ea')]), /version 2 is not supported/],
    ['pcap', fromHex('d4c3b2a1020004000000000000000000'), /not a btsnoop file/],
  ];
  for (const [name, bytes, message] of cases) {
    const path = join(dir, `${name}.btsnoop`);
    await writeFile(path, bytes);
    await t.rejects(readAll(path), { name: 'WaymarkError', code: 'WAYMARK_ERR_FILE_FORMAT', message }, name);
    t.throws(() => [...parseBtsnoop(bytes)], { code: 'WAYMARK_ERR_FILE_FORMAT', message }, name);
    try {
      [...parseBtsnoop(bytes)];
    } catch (err) {
      t.ok(isWaymarkError(err, 'WAYMARK_ERR_FILE_FORMAT'), `${name} is a WaymarkError`);
    }
  }
  const unknown = Buffer.concat([Buffer.from('btsnoop\0'), fromHex('00000001000007d2')]);
  t.throws(() => [...parseBtsnoop(unknown)], { code: 'WAYMARK_ERR_FILE_FORMAT', message: /datalink 2002 is not HCI/ });
});

t.test('un-encapsulated HCI (1001) files get their kind from the flags', async (t) => {
  const header = Buffer.concat([Buffer.from('btsnoop\0'), fromHex('00000001000003e9')]);
  const bytes = Buffer.concat([
    header,
    encodeBtsnoopRecord(T0, 2, fromHex('030c00')), // sent command: HCI_Reset without H4 byte
    encodeBtsnoopRecord(T0 + 1, 3, fromHex('0e04010c2000')), // received event
    encodeBtsnoopRecord(T0 + 2, 1, fromHex('01200400')), // received ACL
  ]);
  const records = [...parseBtsnoop(bytes)];
  t.same(records.map((r) => [r.kind, r.direction, hex(r.bytes)]), [
    ['command', 'sent', '01030c00'],
    ['event', 'received', '040e04010c2000'],
    ['acl', 'received', '0201200400'],
  ]);
});

t.test('BlueZ monitor (2001) files, as btmon -w writes them', async (t) => {
  const header = Buffer.concat([Buffer.from('btsnoop\0'), fromHex('00000001000007d1')]);
  const event = encodeAdvertisingReportEvent(packet).subarray(1);
  const bytes = Buffer.concat([
    header,
    encodeBtsnoopRecord(T0, 0x0000_0000, new Uint8Array(16)), // new index: skipped
    encodeBtsnoopRecord(T0, 0x0000_0002, fromHex('030c00')), // hci0 command
    encodeBtsnoopRecord(T0 + 1, 0x0001_0003, event), // hci1 event
    encodeBtsnoopRecord(T0 + 2, 0x0000_000c, fromHex('6e6f746500')), // system note: skipped
  ]);
  const parsed = parseBtsnoop(bytes);
  const records = [...parsed];
  t.same(records.map((r) => [r.kind, r.direction, r.adapter]), [['command', 'sent', 0], ['event', 'received', 1]]);
  t.equal(decodeAdvertisingReports(records[1].bytes)!.reports[0].address, '4a:11:22:33:44:55');
  t.same([parsed.stats.skipped, parsed.stats.problemCount, parsed.stats.complete], [2, 0, true]);
});

t.test('a simulated venue survives the trip through a capture file', async (t) => {
  const venue = new VirtualVenue({ seed: 11, startWithOccupants: true });
  const packets = venue.packetsUntil(venue.startMs + 20_000);
  t.ok(packets.length > 100);
  const path = join(t.testdir(), 'venue.btsnoop');
  const writer = await BtsnoopWriter.create(path);
  for (const p of packets) writer.writeHciEvent(p.time, encodeAdvertisingReportEvent(p));
  await writer.close();
  const { records, stats } = await readAll(path);
  t.equal(stats.complete, true);
  t.equal(records.length, packets.length);
  let same = 0;
  records.forEach((r, i) => {
    const p = packets[i];
    const rep = decodeAdvertisingReports(r.bytes)!.reports[0];
    if (r.timeMs === p.time && rep.address === hex(p.address).replace(/(..)(?!$)/g, '$1:') && rep.rssi === p.rssi &&
      rep.eventType === p.eventType && hex(rep.data) === hex(p.data)) same++;
  });
  t.equal(same, packets.length);
});
