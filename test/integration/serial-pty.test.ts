/**
 * The serial radio on a REAL pseudo-terminal pair through the platform serialport binding:
 * the simulated board is unplugged (its far end closed) and plugged back within 2 s; scanning
 * must resume and every NFC tap must arrive exactly once.
 */
import t from 'tap';
import { join } from 'node:path';
import { readlinkSync } from 'node:fs';
import { systemClock } from '../../core/clock.js';
import type { AdvertisingReport, RadioState } from '../../core/ports.js';
import { createSerialRadio, type SerialTap } from '../../firmware-bridge/radio/serial-radio.js';
import { SimulatedBoard } from '../../sim/simulated-board.js';
import { AdvEventType, parseAddress, type AirPacket } from '../../sim/air.js';

async function until(what: string, predicate: () => boolean, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const packet = (n: number): AirPacket => ({
  time: Date.now(),
  address: Uint8Array.of(0x4a, 0, 0, 0, 0, n),
  addressType: 1,
  eventType: AdvEventType.ADV_NONCONN_IND,
  data: Uint8Array.of(0x02, 0x01, 0x06, 0x03, 0xff, 0x59, n),
  rssi: -60,
});

t.test('unplug and replug within 2 s on a real pty: scanning resumes, taps arrive once each', async (t) => {
  const dir = t.testdir({});
  const link = join(dir, 'ttyWAYMARK');
  const board = await SimulatedBoard.start({ clock: systemClock, link });
  t.teardown(() => board.stop());
  t.match(board.path, /^\/dev\/pts\/\d+$/, 'a real pseudo-terminal');
  t.equal(readlinkSync(link), board.path, 'linked as socat link= does');

  const radio = await createSerialRadio({
    path: link, clock: systemClock, reconnect: { initialDelayMs: 50, maxDelayMs: 250 }, link: { heartbeatIntervalMs: 250 },
  });
  t.teardown(() => radio.close());
  t.equal(radio.capabilities?.firmwareVersion, '1.0.0');
  const reports: AdvertisingReport[] = [];
  const taps: SerialTap[] = [];
  const states: RadioState[] = [];
  radio.scanner.on('report', (r) => reports.push(r));
  radio.scanner.on('state', (s) => states.push(s));
  radio.onTap((tap) => taps.push(tap));
  await radio.scanner.start();

  board.hear(packet(1));
  await until('a report over the pty', () => reports.length === 1);
  t.equal(reports[0]!.address, '4a:00:00:00:00:01');
  board.firmware.tap(Uint8Array.of(8, 0, 0, 1));
  await until('tap 1', () => taps.length === 1 && board.firmware.unacknowledgedTaps === 0);

  // pull the cable
  const firstPath = board.path;
  await board.unplug();
  await until('the radio noticed', () => !radio.connected);
  t.ok(states.includes('poweredOff'));
  board.hear(packet(2)); // reported into a pulled cable
  board.firmware.tap(Uint8Array.of(8, 0, 0, 2)); // made while unplugged: held by the firmware
  board.firmware.tap(Uint8Array.of(8, 0, 0, 3));

  // and put it back well within 2 s
  await new Promise((r) => setTimeout(r, 300));
  await board.plug();
  t.equal(readlinkSync(link), board.path, 'the link follows the new device');
  t.comment(`replugged: ${firstPath} -> ${board.path}`);
  await until('reconnected', () => radio.connected);
  t.equal(radio.stats().reconnects, 1);
  t.ok(board.firmware.scan, 'scanning was restored on the board');
  await until('the taps made while unplugged', () => taps.length >= 3 && board.firmware.unacknowledgedTaps === 0);
  const before = reports.length;
  board.hear(packet(3));
  await until('scanning resumed', () => reports.length > before);
  t.equal(reports.at(-1)!.address, '4a:00:00:00:00:03');

  // a USB-powered board reboots when plugged back: its new taps count from 1 again
  await board.unplug();
  await until('down again', () => !radio.connected);
  await board.plug({ reboot: true });
  await until('reconnected after the reboot', () => radio.connected && radio.stats().reconnects === 2);
  board.firmware.tap(Uint8Array.of(8, 0, 0, 4));
  await until('tap 4', () => taps.length >= 4 && board.firmware.unacknowledgedTaps === 0);
  board.hear(packet(4));
  await until('scanning resumed after the reboot', () => reports.some((r) => r.address === '4a:00:00:00:00:04'));

  // give any repeat time to show up, then check each tap arrived exactly once
  await new Promise((r) => setTimeout(r, 300));
  t.same(taps.map((x) => Buffer.from(x.uid).toString('hex')), ['08000001', '08000002', '08000003', '08000004'], 'no tap lost, none twice');
  t.same(taps.map((x) => x.tapSeq), [1, 2, 3, 1]);
  t.match(radio.stats().taps, { delivered: 4, lost: 0, ackSupported: true });
  t.notOk(reports.some((r) => r.address === '4a:00:00:00:00:02'), 'a report made while unplugged is not invented later');
  t.equal(radio.stats().crcErrors, 0, 'no corrupted frames on a clean pty');
});
