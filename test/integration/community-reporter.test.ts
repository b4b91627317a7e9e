/**
 * Kiosks signing their hourly community report against a real anvil (ring keys recovered
 * from the registry), a real SQLite store and the authority's HTTP collector: one report
 * per kiosk and epoch, even across a restart or a collector outage; refusals with named
 * codes at the collector; and `waymark authority community-reports` accepts the collector's
 * file without learning which kiosk signed.
 */
import t from 'tap';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ManualClock } from '../../core/clock.js';
import { registryClient } from '../../contracts/client.js';
import { commitBatch } from '../../contracts/actions/commit-batch.js';
import { authorizeKiosk } from '../../contracts/actions/authorize-kiosk.js';
import { getVenue } from '../../contracts/actions/get-venue.js';
import { communityKeys } from '../../contracts/actions/community-keys.js';
import { signCommunityReport, type CommunityReport } from '../../community/report.js';
import { buildCommunityCollector } from '../../community/collector.js';
import { CommunityReporter, crowdingLevel, postCommunityReport } from '../../kiosk/community-reporter.js';
import { openDatabase } from '../../kiosk/store/database.js';
import { runCli } from '../../cli/main.js';
import { deployDevRegistry, devWallet, setUpDevVenue, startDevNode } from '../../sim/dev-chain.js';
import { cli } from '../helpers/cli.js';

t.test('crowding levels', async (t) => {
  t.same([0, 50, 51, 80, 81, 100, 101].map((o) => crowdingLevel(o, 100)), ['low', 'low', 'moderate', 'moderate', 'high', 'high', 'full']);
});

t.test('kiosks report once an epoch to the collector; the authority verifies the file', async (t) => {
  const node = await startDevNode({ pollingIntervalMs: 20 });
  t.teardown(() => node.stop());
  const registry = await deployDevRegistry(node.provider);
  const venueId = await setUpDevVenue(node.provider, registry, { geohash: 'u4pruydqq' });
  const operator = registryClient(devWallet('operator', node.provider), registry);
  for (const i of [4, 5, 6]) await authorizeKiosk(operator, { venueId, kiosk: devWallet(i).address });
  const now = (await node.provider.getBlock('latest'))!.timestamp;
  // kiosks 'kiosk', 4 and 5 have committed (their keys are recoverable); 6 has not
  for (const who of ['kiosk', 4, 5] as const) {
    await commitBatch(registryClient(devWallet(who, node.provider), registry), { venueId, seq: 0, merkleRoot: '0x' + '33'.repeat(32), count: 1, fromTime: now - 60, toTime: now });
  }
  const reader = registryClient(node.provider, registry);
  const dir = t.testdir({});
  const file = join(dir, 'reports.jsonl');
  const collector = buildCommunityCollector({ file, region: 'u4pr' });
  await collector.app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => collector.app.close());
  const url = `http://127.0.0.1:${(collector.app.server.address() as { port: number }).port}/v1/community-reports`;
  let collectorUp = true;
  const post = postCommunityReport(url);

  const clock = new ManualClock(now * 1000);
  const reporterOf = (who: 'kiosk' | number, db: ReturnType<typeof openDatabase>, opts: { minRingSize?: number; capacity?: number | null } = {}) => new CommunityReporter({
    db, clock, privateKey: devWallet(who).privateKey,
    region: async () => (await getVenue(reader, { venueId })).region,
    ring: async (region) => (await communityKeys(reader, { region })).kiosks.map((k) => Uint8Array.from(Buffer.from(k.publicKey.slice(2), 'hex'))),
    occupancy: () => ({ occupancy: 45, capacity: opts.capacity === undefined ? 50 : opts.capacity }),
    send: async (r) => {
      if (!collectorUp) return postCommunityReport('http://127.0.0.1:9/v1/community-reports', { timeoutMs: 2000 })(r);
      return post(r);
    },
    minRingSize: opts.minRingSize,
  });

  const dbPath = join(dir, 'kiosk.db');
  let db = openDatabase(dbPath);
  let reporter = reporterOf('kiosk', db);
  let s = await reporter.refresh();
  t.match(s, { signed: 1, sent: 1, pending: 0, ringSize: 3, lastError: null });
  s = await reporter.refresh();
  t.match(s, { signed: 1, sent: 1 }, 'not again in the same epoch');
  db.close();
  db = openDatabase(dbPath);
  reporter = reporterOf('kiosk', db);
  s = await reporter.refresh();
  t.match(s, { signed: 0, sent: 0, lastEpoch: Math.floor(now / 3600) }, 'nor after a restart');
  t.equal(collector.stats().accepted, 1);

  // a second kiosk of the community in the same epoch is another key image: accepted
  const other = reporterOf(4, openDatabase(join(dir, 'other.db')));
  t.match(await other.refresh(), { signed: 1, sent: 1 });

  // the collector unreachable: the next epoch's report is signed, kept and sent later
  clock.advance(3600_000);
  collectorUp = false;
  s = await reporter.refresh();
  t.match(s, { signed: 1, sent: 0, pending: 1, lastError: /WAYMARK_ERR_COMMUNITY_COLLECTOR/ });
  collectorUp = true;
  s = await reporter.refresh();
  t.match(s, { signed: 1, sent: 1, pending: 0 }, 'delivered once the collector answers, not signed again');

  // why nothing is signed: no capacity, a small ring, a key not in the ring, an unsynced clock
  clock.advance(3600_000);
  t.match(await reporterOf(5, openDatabase(':memory:'), { capacity: null }).refresh(), { signed: 0, lastError: /no capacity policy/ });
  t.match(await reporterOf(5, openDatabase(':memory:'), { minRingSize: 4 }).refresh(), { signed: 0, lastError: /3 kiosk key\(s\); reports need a ring of at least 4/ });
  t.match(await reporterOf(6, openDatabase(':memory:')).refresh(), { signed: 0, lastError: /not in the community yet/ });
  clock.setSyncStatus({ synced: false, source: 'none' });
  t.match(await reporterOf(5, openDatabase(':memory:')).refresh(), { signed: 0, lastError: 'clock not synced' });
  clock.setSyncStatus({ synced: true, source: 'manual' });

  // the collector's refusals
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CommunityReport);
  t.equal(lines.length, 3);
  const postRaw = async (body: string) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: res.status, body: await res.json() as { error?: { code: string } } };
  };
  const ring = lines[0]!.ring.map((k) => Uint8Array.from(Buffer.from(k.slice(2), 'hex')));
  const again = signCommunityReport({ body: { region: 'u4pr', time: lines[0]!.time + 5, occupancy: 3, crowding: 'low' }, ring, secretKey: Uint8Array.from(Buffer.from(devWallet('kiosk').privateKey.slice(2), 'hex')) });
  t.match(await postRaw(JSON.stringify(again)), { status: 409, body: { error: { code: 'WAYMARK_ERR_RING_DOUBLE_REPORT' } } }, 'the same kiosk twice in one epoch');
  t.match(await postRaw(JSON.stringify({ ...lines[1], occupancy: 99 })), { status: 400, body: { error: { code: 'WAYMARK_ERR_RING_SIGNATURE_INVALID' } } }, 'an altered report');
  t.match(await postRaw(JSON.stringify({ ...lines[1], region: 'u4px' })), { status: 400 }, 'another region');
  t.match(await postRaw('{"nope'), { status: 400, body: { error: { code: 'WAYMARK_ERR_BAD_REQUEST' } } });
  t.same(collector.stats().inFile, 3, 'nothing refused was written');

  const r = await cli(['authority', 'community-reports', '--file', file, '--rpc', node.rpcUrl, '--registry', registry, '--region', 'u4pr', '--json']);
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { reports: { ok: boolean; crowding: string; ringSize: number }[] };
  t.same(out.reports.map((x) => [x.ok, x.crowding, x.ringSize]), [[true, 'high', 3], [true, 'high', 3], [true, 'high', 3]]);
  t.notMatch(r.stdout, new RegExp(devWallet('kiosk').address.slice(2), 'i'), 'no kiosk address in the verdict');

  // the collector's CLI: reads the file back (double reports stay refused across its restarts)
  const ac = new AbortController();
  let stderr = '';
  const run = runCli(['authority', 'community-collect', '--file', file, '--region', 'u4pr', '--port', '0'], {
    stdout: () => {}, stderr: (x) => void (stderr += x), signal: ac.signal, env: {}, cwd: dir,
  });
  for (let i = 0; i < 100 && !/Ctrl-C/.test(stderr); i++) await new Promise((res) => setTimeout(res, 50));
  t.match(stderr, /at http:\/\/127\.0\.0\.1:\d+\/v1\/community-reports into .* \(3 already there\)/);
  const cliUrl = /(http:\/\/\S+\/v1\/community-reports)/.exec(stderr)![1]!;
  t.equal((await fetch(cliUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(again) })).status, 409);
  ac.abort();
  t.equal(await run, 0);
  t.match(stderr, /stopped: 0 report\(s\) accepted, 1 refused; 3 in/);
});
