/**
 * NFC tap check-in end to end: the simulated board on a real pty, the serial radio, the
 * daemon with check-in and anchoring on a real anvil. A phone's answer to SELECT AID becomes
 * one attestation with presence `nfc`, acknowledged to the board once (NFC_TAP_ACK), also for
 * a tap made while the cable was out; a replayed answer and a plain tag are refused with their
 * codes; the attestations are batched and their root committed on chain.
 */
import t from 'tap';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { ManualClock, systemClock } from '../../core/clock.js';
import { parseConfig } from '../../core/config.js';
import { registryClient } from '../../contracts/client.js';
import { batchRoot } from '../../contracts/actions/batch-root.js';
import { verifyAttestation } from '../../beacon/visitor/attestation.js';
import { createSerialRadio } from '../../firmware-bridge/radio/serial-radio.js';
import { startKioskDaemon } from '../../kiosk/daemon.js';
import type { NfcCheckinOutcome } from '../../kiosk/checkin/nfc.js';
import { nfcVisitorCommitment } from '../../kiosk/checkin/service.js';
import type { ClockSyncProbe } from '../../kiosk/clock-guard.js';
import { deployDevRegistry, devWallet, setUpDevVenue, startDevNode } from '../../sim/dev-chain.js';
import { SimulatedBoard } from '../../sim/simulated-board.js';

const synced: ClockSyncProbe = { source: 'manual', check: async () => ({ synced: true, detail: 'test' }) };

async function until(what: string, predicate: () => boolean | Promise<boolean>, limitMs = 15_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const nonce = (n: number) => Uint8Array.from({ length: 14 }, (_, i) => (n * 31 + i) & 0xff);
const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');

t.test('NFC taps on the simulated board check in once each, replays refused, anchored on chain', async (t) => {
  const node = await startDevNode({ pollingIntervalMs: 20 });
  t.teardown(() => node.stop());
  const registry = await deployDevRegistry(node.provider);
  const venueId = Number(await setUpDevVenue(node.provider, registry));

  const dir = t.testdir({});
  const link = join(dir, 'ttyWAYMARK');
  const board = await SimulatedBoard.start({ clock: systemClock, link });
  t.teardown(() => board.stop());
  const serial = await createSerialRadio({ path: link, clock: systemClock, reconnect: { initialDelayMs: 50, maxDelayMs: 250 }, link: { heartbeatIntervalMs: 250 } });

  const kioskWallet = devWallet('kiosk');
  const config = parseConfig({
    dataDir: join(dir, 'data'), venue: { name: 'Tap Hall', geohash: 'u4pruydqq' },
    radio: { adapter: 'serial', serialPort: link }, http: { host: '127.0.0.1', port: 0 },
    chain: { rpcUrl: node.rpcUrl, registry, venueId, chainId: 31337 },
    batch: { maxRecords: 3, maxAgeS: 60 },
  });
  const clock = new ManualClock(Date.now());
  const outcomes: NfcCheckinOutcome[] = [];
  const daemon = await startKioskDaemon({
    config, clock, clockProbes: [synced], publishBeaconKey: false,
    key: { privateKey: kioskWallet.privateKey, address: kioskWallet.address, format: 'hex', warnings: [] },
    radio: { scanner: serial.scanner, metrics: serial.metricSources(), onTap: (l) => serial.onTap(l), close: async () => {} },
    anchoring: { pollingIntervalMs: 20 },
    onNfcCheckin: (o) => outcomes.push(o),
  });
  t.teardown(() => daemon.stop());
  t.ok(daemon.checkin && daemon.anchoring, 'check-in and anchoring are on');
  await until('the link', () => serial.connected);

  t.ok(board.phoneTap(nonce(1)), 'the reader polls (NFC_POLL with the Waymark AID)');
  await until('tap 1', () => outcomes.length === 1 && board.firmware.unacknowledgedTaps === 0);
  const first = outcomes[0]!.attestation!;
  t.ok(first, `attested: ${outcomes[0]!.refused ?? ''}`);
  t.equal(first.typedData.message.presence, 'nfc');
  t.equal(first.typedData.message.visitor, hex(nfcVisitorCommitment(nonce(1))), 'the commitment the phone computes from its nonce');
  t.equal(first.typedData.message.visitor, hex(sha256(Buffer.concat([Buffer.from('waymark/nfc-visitor/v1'), nonce(1)]))));
  t.equal(verifyAttestation(first, { chainId: 31337, verifyingContract: registry, venueId }).signer, kioskWallet.address, 'signed by the kiosk');
  t.equal(daemon.checkin!.service.records.getAttestation(first.id)?.presence, 'nfc', 'stored');

  // the same answer played again, and a plain tag: refused, nothing signed, still acknowledged
  board.phoneTap(nonce(1));
  board.firmware.tap(Uint8Array.of(0x04, 1, 2, 3));
  await until('two refusals', () => outcomes.length === 3 && board.firmware.unacknowledgedTaps === 0);
  t.same(outcomes.slice(1).map((o) => o.refused), ['WAYMARK_ERR_CHECKIN_NFC_REPLAY', 'WAYMARK_ERR_CHECKIN_NFC_MALFORMED']);

  // a tap while the cable is out arrives after the replug, once
  await board.unplug();
  await until('the radio noticed', () => !serial.connected);
  board.phoneTap(nonce(2));
  await board.plug();
  await until('the tap made while unplugged', () => outcomes.length === 4 && board.firmware.unacknowledgedTaps === 0);
  board.phoneTap(nonce(3));
  await until('tap 3', () => outcomes.length === 5 && board.firmware.unacknowledgedTaps === 0);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(outcomes.length, 5, 'no tap twice');
  const attested = outcomes.filter((o) => o.attestation).map((o) => o.attestation!);
  t.same(attested.map((a) => a.typedData.message.visitor), [1, 2, 3].map((n) => hex(nfcVisitorCommitment(nonce(n)))));
  t.same(attested.map((a) => a.typedData.message.seq), [0, 1, 2]);
  t.match(serial.stats().taps, { delivered: 5, lost: 0, ackSupported: true });
  t.match(daemon.checkin!.service.status().checkins, { nfc: 3, refused: 2 });

  // three records close a batch; its root lands on chain like any other
  const client = registryClient(node.provider, registry);
  await until('the batch committed', async () => {
    return (await batchRoot(client, { kiosk: kioskWallet.address, seq: 0 })) !== '0x' + '00'.repeat(32);
  }, 30_000);
  t.pass('batch 0 with the NFC attestations is on chain');
});
