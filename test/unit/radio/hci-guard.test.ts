import t from 'tap';
import { adStructuresMalformed, HciPacketScreen, rssiPlausible } from '../../../kiosk/radio/hci/guard.js';
import { leAdvertisingReportEvent } from '../../../kiosk/radio/hci/writer.js';

const addr = Uint8Array.from([0xc1, 0x02, 0x03, 0x04, 0x05, 0x06]);
const flags = Uint8Array.from([0x02, 0x01, 0x06]);

t.test('a well-formed report passes unchanged', async (t) => {
  const screen = new HciPacketScreen(null);
  const ev = leAdvertisingReportEvent(0x03, 1, addr, flags, -60);
  t.equal(screen.screen(ev), ev);
  t.match(screen.counters, { passed: 1, dropped: 0 });
});

t.test('truncated packets are dropped as HCI malformed', async (t) => {
  const screen = new HciPacketScreen(null);
  const ev = leAdvertisingReportEvent(0x03, 1, addr, flags, -60);
  t.equal(screen.screen(ev.subarray(0, ev.length - 1)), null, 'one byte short of its length byte');
  t.equal(screen.screen(Uint8Array.from([0x04, 0x0e, 0x04, 0x01, 0x01, 0x10, 0x00])), null,
    'Read Local Version complete without its return parameters');
  t.equal(screen.screen(Uint8Array.from([0x04, 0x3e, 0x01, 0x02])), null, 'LE meta without num_reports');
  t.equal(screen.screen(new Uint8Array(0)), null, 'empty');
  // the report's data length byte says 20 but the event holds 3 bytes of AD
  const lying = Buffer.from(ev);
  lying[13] = 20;
  t.equal(screen.screen(lying), null);
  t.equal(screen.counters.hciMalformed, 5);
  t.equal(screen.lastDrop?.code, 'WAYMARK_ERR_HCI_MALFORMED');
});

t.test('AD structures running past the end or zero lengths before data are dropped', async (t) => {
  const screen = new HciPacketScreen(null);
  t.equal(screen.screen(leAdvertisingReportEvent(0, 1, addr, Uint8Array.from([0x05, 0x09, 0x41]), -60)), null);
  t.equal(screen.screen(leAdvertisingReportEvent(0, 1, addr, Uint8Array.from([0x00, 0x09, 0x41]), -60)), null);
  t.equal(screen.counters.adMalformed, 2);
  t.equal(screen.lastDrop?.code, 'WAYMARK_ERR_AD_MALFORMED');
  t.notOk(adStructuresMalformed(Uint8Array.from([0x02, 0x01, 0x06, 0x00, 0x00]), 0, 5), 'zero padding after the data is fine');
});

t.test('absurd RSSI is dropped', async (t) => {
  const screen = new HciPacketScreen(null);
  for (const rssi of [127, 21, 100, -128]) t.equal(screen.screen(leAdvertisingReportEvent(0, 1, addr, flags, rssi)), null, `rssi ${rssi}`);
  t.equal(screen.counters.rssiOutOfRange, 4);
  t.ok(rssiPlausible(-127 & 0xff));
  t.ok(rssiPlausible(20));
});

t.test('an event with several reports loses only its bad ones', async (t) => {
  const screen = new HciPacketScreen(null);
  const good = leAdvertisingReportEvent(0x03, 1, addr, flags, -60).subarray(5);
  const bad = leAdvertisingReportEvent(0x03, 1, addr, flags, 127).subarray(5);
  const body = Buffer.concat([good, bad, good]);
  const ev = Buffer.concat([Buffer.from([0x04, 0x3e, 2 + body.length, 0x02, 3]), body]);
  const out = screen.screen(ev)!;
  t.ok(out);
  t.equal(out[4], 2, 'two reports left');
  t.equal(out[2], out.length - 3);
  t.same(Buffer.from(out.subarray(5)), Buffer.concat([good, good]));
  t.equal(screen.counters.rssiOutOfRange, 1);
});
