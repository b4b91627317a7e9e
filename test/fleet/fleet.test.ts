import t from 'tap';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { id } from 'ethers';
import { startDevNode, devWallet } from '../../sim/dev-chain.js';
import { registryClient } from '../../contracts/client.js';
import { reportExposure } from '../../contracts/actions/report-exposure.js';
import { authorizeKiosk } from '../../contracts/actions/authorize-kiosk.js';
import { setBeaconKey } from '../../contracts/actions/set-beacon-key.js';
import { reportOverCapacity, setCapacityPolicy } from '../../contracts/actions/capacity.js';
import { runFleetSimulation, SIM_REGION } from '../../cli/commands/fleet-simulation.js';
import { startFleetServer, waitForJson } from './fleet-server.js';

// The fleet end to end: 50 light kiosks on anvil, `waymark fleet serve` (Ponder) indexing
// them into PGlite (and Postgres when WAYMARK_FLEET_TEST_DATABASE_URL names one), the JSON
// API and the dashboard in headless Chromium.

const KIOSKS = 50;
// Ponder's start (PGlite's wasm, the build) is slow on a loaded 2-core box; one backend takes ~60-120 s
t.setTimeout(backendsTimeout());
function backendsTimeout(): number {
  return process.env.WAYMARK_FLEET_TEST_DATABASE_URL ? 420_000 : 240_000;
}

interface FleetBody {
  totals: { regions: number; venues: number; kiosks: number; silent: number; batches: number; full: number };
  regions: { prefix: string; venues: { id: number; status: string; until: number | null; capacity: { capacity: number; full: boolean; since: number | null; occupancy: number } | null; kiosks: { address: string; batches: number; lastBatchSeq: number | null; silent: boolean; lagS: number; beaconId: string | null; beaconKey: string | null }[] }[] }[];
}
const batchesOf = (f: FleetBody): number => f.regions.flatMap((r) => r.venues).flatMap((v) => v.kiosks).reduce((n, k) => n + k.batches, 0);

const node = await startDevNode();
t.teardown(() => node.stop());
const sim = await runFleetSimulation({ provider: node.provider, rpcUrl: node.rpcUrl, chainId: node.chainId, kiosks: KIOSKS, durationS: 5, batchEveryMs: 2000 });
const onChainBatches = (await node.provider.getLogs({ address: sim.registry, fromBlock: 0, topics: [id('BatchCommitted(uint64,address,uint64,bytes32,uint32,uint64,uint64)')] })).length;
const now = Math.floor(Date.now() / 1000);
await reportExposure(registryClient(devWallet('authority', node.provider), sim.registry), { venueId: sim.venues[0]!, fromTime: now - 3600, toTime: now - 600 });
// a second kiosk (the dev kiosk key) at the second venue publishes its beacon key
const BEACON_KEY = `0x${'5a'.repeat(32)}`;
const beaconKiosk = devWallet('kiosk', node.provider);
await authorizeKiosk(registryClient(devWallet('operator', node.provider), sim.registry), { venueId: sim.venues[1]!, kiosk: beaconKiosk.address });
await setBeaconKey(registryClient(beaconKiosk, sim.registry), { beaconKey: BEACON_KEY });
// the second venue has a capacity policy and its kiosk reports it above capacity
await setCapacityPolicy(registryClient(devWallet('operator', node.provider), sim.registry), { venueId: sim.venues[1]!, capacity: 30, minMinutes: 10 });
await reportOverCapacity(registryClient(beaconKiosk, sim.registry), { venueId: sim.venues[1]!, occupancy: 37, since: now - 900, at: now });
const BEACON_ID = `0x${createHash('sha256').update(Buffer.from(BEACON_KEY.slice(2), 'hex')).digest('hex').slice(0, 16)}`;

t.test('fleet simulate provisions one venue per kiosk and commits batches', async (t) => {
  t.equal(sim.kiosks.length, KIOSKS);
  t.equal(sim.venues.length, KIOSKS);
  t.equal(new Set(sim.kiosks).size, KIOSKS, 'distinct kiosk keys');
  t.ok(sim.batches > 0, `${sim.batches} batches committed`);
  t.ok(Math.abs(sim.batches - onChainBatches) <= 1, `its count (${sim.batches}) matches the chain's BatchCommitted logs (${onChainBatches})`);
});

const backends: { name: string; databaseUrl?: string }[] = [{ name: 'PGlite' }];
if (process.env.WAYMARK_FLEET_TEST_DATABASE_URL) backends.push({ name: 'Postgres', databaseUrl: process.env.WAYMARK_FLEET_TEST_DATABASE_URL });

for (const backend of backends) {
  t.test(`fleet serve on ${backend.name}`, async (t) => {
    const server = await startFleetServer({ rpc: node.rpcUrl, registry: sim.registry, databaseUrl: backend.databaseUrl, schema: `fleet_test_${process.pid}` });
    t.teardown(() => server.stop());
    let fleet: FleetBody;
    try {
      fleet = await waitForJson<FleetBody>(`${server.url}/v1/fleet`, (f) => f.totals.kiosks === KIOSKS + 1 && batchesOf(f) === onChainBatches && f.regions[0]?.venues[0]?.status === 'Infected' && f.totals.full === 1, 150_000, server.running);
    } catch (err) {
      t.comment(server.log().slice(-3000));
      throw err;
    }
    t.same(fleet.totals, { regions: 1, venues: KIOSKS, kiosks: KIOSKS + 1, silent: 0, batches: onChainBatches, full: 1 });
    t.same(fleet.regions[0]!.venues[1]!.capacity, { capacity: 30, minMinutes: 10, full: true, since: now - 900, occupancy: 37 }, 'the venue above capacity is listed full');
    t.equal(fleet.regions[0]!.venues[2]!.capacity, null, 'a venue without a policy');
    const crowding = await (await fetch(`${server.url}/v1/crowding?region=${SIM_REGION}&since=0`)).json() as { crossings: unknown[] };
    t.match(crowding.crossings, [{ venueId: sim.venues[1], kiosk: beaconKiosk.address.toLowerCase(), over: true, occupancy: 37, capacity: 30, since: now - 900, at: now, durationS: 900 }]);
    t.same((await (await fetch(`${server.url}/v1/crowding?region=u4q`)).json() as { crossings: unknown[] }).crossings, [], 'another region sees none');
    t.match(await (await fetch(`${server.url}/v1/crowding?since=soon`)).json(), { error: { code: 'WAYMARK_ERR_BAD_REQUEST' } });
    t.equal(fleet.regions[0]!.prefix, SIM_REGION);
    const infected = fleet.regions[0]!.venues[0]!;
    t.equal(infected.id, sim.venues[0]);
    t.ok(infected.until! > now + 13 * 86_400, 'Infected until 14 days after the window');
    t.ok(fleet.regions[0]!.venues.slice(1).every((v) => v.status === 'Clean'), 'the others are Clean');

    const withKey = fleet.regions[0]!.venues[1]!.kiosks.find((k) => k.address.toLowerCase() === beaconKiosk.address.toLowerCase());
    t.match(withKey, { beaconId: BEACON_ID, beaconKey: BEACON_KEY }, 'BeaconKeySet: the kiosk shows its beacon id and key');
    t.equal(fleet.regions[0]!.venues[1]!.kiosks.filter((k) => k.beaconKey !== null).length, 1, 'the venue\'s other kiosk has none');

    const strict = await (await fetch(`${server.url}/v1/fleet?interval=1&silentAfter=1`)).json() as FleetBody;
    t.equal(strict.totals.silent, KIOSKS + 1, 'every kiosk silent once the interval is 1 s');

    const res = await fetch(`${server.url}/v1/exposures?region=${SIM_REGION}&since=0`);
    t.equal(res.status, 200);
    t.match(res.headers.get('cache-control'), /public.*max-age=\d+/, 'a CDN may cache the feed');
    const feed = await res.json() as { exposures: { venueId: number; toTime: number; expiresAt: number }[] };
    t.equal(feed.exposures.length, 1);
    t.equal(feed.exposures[0]!.venueId, sim.venues[0]);
    t.equal(feed.exposures[0]!.toTime, now - 600);
    t.same((await (await fetch(`${server.url}/v1/exposures?region=u4q&since=0`)).json() as { exposures: unknown[] }).exposures, [], 'another region sees none');
    t.same((await (await fetch(`${server.url}/v1/exposures?since=${now + 3600}`)).json() as { exposures: unknown[] }).exposures, [], 'none since later');
    t.equal((await fetch(`${server.url}/v1/exposures?since=yesterday`)).status, 400);
    t.match(await (await fetch(`${server.url}/v1/exposures?region=A!`)).json(), { error: { code: 'WAYMARK_ERR_BAD_REQUEST' } });

    const hourly = await (await fetch(`${server.url}/v1/batches/hourly`)).json() as { hours: { batches: number }[] };
    t.equal(hourly.hours.reduce((n, h) => n + h.batches, 0), onChainBatches, 'batches per hour add up');

    if (backend.name !== 'PGlite') return;
    t.test('the dashboard in a browser', async (t) => {
      t.ok(existsSync(CHROMIUM), `chromium at ${CHROMIUM} (apt-get install chromium)`);
      const browser = await launchChromium(t);
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.waitForSelector('body[data-loaded=true]', { timeout: 20_000 });
      t.match(await page.textContent('[data-testid=totals]'), new RegExp(`1 regions, ${KIOSKS} venues, ${KIOSKS + 1} kiosks, 0 silent .*, 1 full`));
      t.match(await page.textContent(`tr.venue[data-venue="${sim.venues[1]}"] .capacity`), /^30 FULL since .* \(37\)$/);
      t.equal(await page.locator('tr.venue').count(), KIOSKS);
      t.equal(await page.locator('.kiosk').count(), KIOSKS + 1);
      t.equal(await page.textContent(`tr.venue[data-venue="${sim.venues[0]}"] .status`), 'Infected');
      t.equal(await page.locator('tr.exposure').count(), 1);
      t.ok(await page.locator('tr.hour').count() >= 1, 'batches per hour drawn');
    });
  });
}
