/**
 * Capacity thresholds end to end: the demo kiosk on a real anvil and a real headless
 * Chromium. The operator's dev key sets a policy the simulated venue is above; the screen
 * shows "Venue full", the kiosk reports the crossing on chain once the policy's minute has
 * passed (occupancy, since, at), and after the operator raises the capacity the banner goes
 * and the kiosk reports the end, carrying the crossing's start. Meanwhile the daemon signs its
 * hourly community report once a second kiosk of the region has a key on chain, and the
 * authority's collector takes it.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { Interface } from 'ethers';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { getArtifact } from '../../contracts/build.js';
import { connectProvider, registryClient } from '../../contracts/client.js';
import { setCapacityPolicy } from '../../contracts/actions/capacity.js';
import { authorizeKiosk } from '../../contracts/actions/authorize-kiosk.js';
import { commitBatch } from '../../contracts/actions/commit-batch.js';
import { buildCommunityCollector } from '../../community/collector.js';
import { startDemo } from '../../sim/demo.js';
import { devWallet } from '../../sim/dev-chain.js';

const FULL = '[data-testid=full-banner]';
const iface = new Interface(getArtifact('WaymarkRegistry').abi as never);

t.test('over capacity: the screen shows full and the kiosk reports the crossing and its end', async (t) => {
  t.ok(existsSync(CHROMIUM), `chromium at ${CHROMIUM} (apt-get install chromium)`);
  // 30 simulated seconds a wall second: the policy's minute passes in 2 s
  const collector = buildCommunityCollector({ file: `${t.testdir({})}/reports.jsonl`, region: 'u4pr' });
  await collector.app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => collector.app.close());
  const reportUrl = `http://127.0.0.1:${(collector.app.server.address() as { port: number }).port}/v1/community-reports`;
  const demo = await startDemo({
    port: 0, speed: 30, seed: 5, exposure: false, checkinVisitorEveryS: 0, tapEveryMs: 0, capacityPolicy: false,
    config: { community: { reportUrl, minRingSize: 2 } },
  });
  t.teardown(() => demo.stop());
  const chain = demo.chain!;
  const provider = connectProvider(chain.rpcUrl, { chainId: chain.chainId, pollingIntervalMs: 50 });
  t.teardown(() => provider.destroy());
  const operator = registryClient(devWallet('operator', provider), chain.registry);
  // a second kiosk of region u4pr commits a batch: with the demo kiosk's, the ring has two keys
  const second = devWallet(4, provider);
  await authorizeKiosk(operator, { venueId: chain.venueId, kiosk: second.address });
  const now = (await provider.getBlock('latest'))!.timestamp;
  await commitBatch(registryClient(second, chain.registry), { venueId: chain.venueId, seq: 0, merkleRoot: '0x' + '44'.repeat(32), count: 1, fromTime: now - 60, toTime: now });
  const crossings = async () => (await provider.getLogs({ address: chain.registry, topics: [iface.getEvent('CapacityCrossed')!.topicHash], fromBlock: 0 }))
    .map((l) => iface.parseLog(l)!.args.toObject() as { kiosk: string; over: boolean; occupancy: bigint; capacity: bigint; since: bigint; at: bigint });
  const until = async <T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> => {
    for (const deadline = Date.now() + ms; ;) {
      const v = await f();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const browser = await launchChromium(t);
  const page = await browser.newPage({ viewport: { width: 800, height: 480 } });
  await page.goto(demo.url);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=occupancy]')?.textContent) > 5, null, { timeout: 30_000 });
  t.equal(await page.isVisible(FULL), false, 'no banner without a policy');
  t.equal(await page.textContent('[data-testid=capacity]'), '–');

  await setCapacityPolicy(operator, { venueId: chain.venueId, capacity: 5, minMinutes: 1 });
  await t.resolves(page.waitForSelector(FULL, { state: 'visible', timeout: 15_000 }), 'the full banner appears');
  t.match(await page.textContent('[data-testid=full-detail]'), /^\d+ people inside for 5 places/);
  t.match(await page.textContent('[data-testid=capacity]'), '5 · full');

  const over = await until('the crossing on chain', async () => (await crossings()).find((c) => c.over));
  t.equal(over.kiosk, demo.daemon.checkin!.service.signer.address, 'reported from the kiosk account');
  t.equal(over.capacity, 5n);
  t.ok(over.occupancy > 5n, `occupancy ${over.occupancy} above the capacity`);
  t.ok(over.at - over.since >= 60n, `above capacity for ${over.at - over.since} s, at least the policy's minute`);
  type Status = { venue: { capacity: { reported: { since: number } | null } } };
  await until('the reported crowding in /v1/status', async () => {
    const s = await (await fetch(`${demo.url}v1/status`)).json() as Status;
    return s.venue.capacity.reported?.since === Number(over.since) ? true : undefined;
  });
  await t.resolves(page.waitForFunction(() => /Reported to the health authority/.test(document.querySelector('[data-testid=full-detail]')?.textContent ?? ''), null, { timeout: 15_000 }));

  await setCapacityPolicy(operator, { venueId: chain.venueId, capacity: 1000, minMinutes: 1 });
  await t.resolves(page.waitForSelector(FULL, { state: 'hidden', timeout: 15_000 }), 'the banner goes under the new capacity');
  const end = await until('the end on chain', async () => (await crossings()).find((c) => !c.over));
  t.equal(end.since, over.since, 'the end carries the crossing start');
  t.ok(end.at >= over.at && end.occupancy <= 1000n);
  t.equal((await crossings()).length, 2, 'each reported once');

  // the reporter reads the ring again every 10 simulated minutes while it is too small (20 s here)
  await until('the community report at the collector', async () => (collector.stats().accepted >= 1 ? true : undefined), 60_000);
  const community = (await (await fetch(`${demo.url}v1/status`)).json() as { community: { signed: number; sent: number; ringSize: number } }).community;
  t.match(community, { signed: 1, sent: 1, ringSize: 2 }, 'one report signed over a ring of two and delivered');
});
