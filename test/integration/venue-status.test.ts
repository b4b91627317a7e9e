/**
 * The daemon follows its venue's exposure status on a real anvil: Clean -> the region
 * authority reports an exposure -> Infected with its window and expiry in /v1/status -> the
 * operator marks it cleaned -> Clean. A node that stops answering leaves the last known
 * status on show, stale, also across a restart.
 */
import t from 'tap';
import { ManualClock } from '../../core/clock.js';
import { parseConfig } from '../../core/config.js';
import { registryClient } from '../../contracts/client.js';
import { commitBatch } from '../../contracts/actions/commit-batch.js';
import { reportExposure } from '../../contracts/actions/report-exposure.js';
import { markCleaned } from '../../contracts/actions/mark-cleaned.js';
import { startKioskDaemon, type KioskDaemon } from '../../kiosk/daemon.js';
import type { ClockSyncProbe } from '../../kiosk/clock-guard.js';
import type { VenueStatusView } from '../../kiosk/venue-status.js';
import { deployDevRegistry, devWallet, setUpDevVenue, startDevNode } from '../../sim/dev-chain.js';
import { PushScanner } from '../helpers/push-scanner.js';

const DAY_S = 86_400;
const synced: ClockSyncProbe = { source: 'manual', check: async () => ({ synced: true, detail: 'test' }) };

async function startDaemon(t: { teardown: (fn: () => Promise<void>) => void }, dataDir: string, chain: { rpcUrl: string; registry: string; venueId: number }) {
  const config = parseConfig({ dataDir, radio: { adapter: 'virtual' }, http: { host: '127.0.0.1', port: 0 }, chain: { ...chain, chainId: 31337 } });
  const daemon = await startKioskDaemon({
    config, clock: new ManualClock(Date.now()), radio: { scanner: new PushScanner(), metrics: [], close: async () => {} },
    clockProbes: [synced], venueStatus: { pollMs: 200 },
  });
  t.teardown(() => daemon.stop());
  return daemon;
}

async function venueStatus(daemon: KioskDaemon): Promise<VenueStatusView> {
  const status = (await (await fetch(daemon.url + 'v1/status')).json()) as { venue: { name: string; status: VenueStatusView } };
  return status.venue.status;
}

/** Polls /v1/status until `ok` holds (the follower polls every 200 ms). */
async function until(daemon: KioskDaemon, ok: (s: VenueStatusView) => boolean, what: string): Promise<VenueStatusView> {
  const deadline = Date.now() + 15_000;
  let last: VenueStatusView | undefined;
  while (Date.now() < deadline) {
    last = await venueStatus(daemon);
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last venue.status ${JSON.stringify(last)}`);
}

t.test('Clean -> exposure reported -> Infected -> cleaned -> Clean, as /v1/status shows it', async (t) => {
  const node = await startDevNode({ pollingIntervalMs: 20 });
  t.teardown(() => node.stop());
  const registry = await deployDevRegistry(node.provider);
  const venueId = Number(await setUpDevVenue(node.provider, registry));
  const blockTime = async () => (await node.provider.getBlock('latest'))!.timestamp;
  // the first batch makes the venue Clean
  const now0 = await blockTime();
  await commitBatch(registryClient(devWallet('kiosk', node.provider), registry), { venueId, seq: 0, merkleRoot: '0x' + '11'.repeat(32), count: 1, fromTime: now0 - 60, toTime: now0 });

  const dataDir = t.testdir({});
  const daemon = await startDaemon(t, dataDir, { rpcUrl: node.rpcUrl, registry, venueId });
  t.notOk(daemon.anchoring, 'no kiosk key: no anchoring, but the status is followed all the same');
  const clean = await until(daemon, (s) => s.state === 'Clean', 'Clean');
  t.match(clean, { state: 'Clean', exposure: null, until: null, cleanedAt: null, checkedAt: Number, stale: false, lastError: null });
  const seen: (string | null)[] = [];
  daemon.venueStatus!.onChange((v) => seen.push(v.state));

  const now = await blockTime();
  const report = await reportExposure(registryClient(devWallet('authority', node.provider), registry), { venueId, fromTime: now - 3 * 3600, toTime: now - 3600 });
  const infected = await until(daemon, (s) => s.state === 'Infected', 'Infected');
  t.same(infected.exposure, { from: now - 3 * 3600, to: now - 3600 }, 'the reported window');
  t.equal(infected.until, now - 3600 + 14 * DAY_S, 'Infected until 14 days after the window');
  t.equal(infected.until, Number(report.expiresAt));
  t.equal(infected.stale, false);

  const cleaned = await markCleaned(registryClient(devWallet('operator', node.provider), registry), { venueId });
  const back = await until(daemon, (s) => s.state === 'Clean', 'Clean again');
  const cleanedAt = (await node.provider.getBlock(cleaned.blockNumber))!.timestamp;
  t.match(back, { state: 'Clean', until: null, cleanedAt, stale: false });
  t.same(back.exposure, { from: now - 3 * 3600, to: now - 3600 }, 'the latest window stays on record after cleaning');
  t.same(seen, ['Infected', 'Clean'], 'listeners heard each change once');
});

t.test('an unreachable node: the last known status stays, marked stale, and survives a restart', async (t) => {
  const node = await startDevNode({ pollingIntervalMs: 20 });
  let nodeUp = true;
  t.teardown(async () => {
    if (nodeUp) await node.stop();
  });
  const registry = await deployDevRegistry(node.provider);
  const venueId = Number(await setUpDevVenue(node.provider, registry));
  const now = (await node.provider.getBlock('latest'))!.timestamp;
  await reportExposure(registryClient(devWallet('authority', node.provider), registry), { venueId, fromTime: now - 600, toTime: now - 60 });

  const dataDir = t.testdir({});
  const chain = { rpcUrl: node.rpcUrl, registry, venueId };
  const first = await startDaemon(t, dataDir, chain);
  const infected = await until(first, (s) => s.state === 'Infected' && !s.stale, 'Infected');

  await node.stop();
  nodeUp = false;
  const stale = await until(first, (s) => s.stale, 'stale');
  t.match(stale, { state: 'Infected', exposure: infected.exposure, until: infected.until, checkedAt: infected.checkedAt, stale: true, lastError: /WAYMARK_ERR_CHAIN_UNAVAILABLE/ },
    'still Infected, as last seen');
  await first.stop();

  // a restart while the node is still down shows the stored status straight away
  const second = await startDaemon(t, dataDir, chain);
  const restored = await venueStatus(second);
  t.match(restored, { state: 'Infected', exposure: infected.exposure, until: infected.until, checkedAt: infected.checkedAt, stale: true });
});
