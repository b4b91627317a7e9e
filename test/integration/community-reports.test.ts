/**
 * Anonymous community reports against a real anvil: the region's kiosk keys are recovered from
 * their commitBatch transactions, kiosks sign reports over that ring, and `waymark authority
 * community-reports` accepts them without naming the signer, refuses a double report in one
 * epoch, and refuses a ring holding a key that is no kiosk of the region.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registryClient } from '../../contracts/client.js';
import { commitBatch } from '../../contracts/actions/commit-batch.js';
import { authorizeKiosk } from '../../contracts/actions/authorize-kiosk.js';
import { registerVenue } from '../../contracts/actions/register-venue.js';
import { communityKeys } from '../../contracts/actions/community-keys.js';
import { ringPublicKey } from '../../community/lsag.js';
import { signCommunityReport } from '../../community/report.js';
import { deployDevRegistry, devWallet, setUpDevVenue, startDevNode } from '../../sim/dev-chain.js';
import { cli } from '../helpers/cli.js';

const secret = (i: number | 'kiosk') => Uint8Array.from(Buffer.from(devWallet(i).privateKey.slice(2), 'hex'));

t.test('community keys from the registry; reports verified, doubles and strangers refused', async (t) => {
  const node = await startDevNode({ pollingIntervalMs: 20 });
  t.teardown(() => node.stop());
  const registry = await deployDevRegistry(node.provider);
  const v1 = await setUpDevVenue(node.provider, registry, { geohash: 'u4pruydqq' });
  const { venueId: v2 } = await registerVenue(registryClient(devWallet('authority', node.provider), registry), { geohash: 'u4prvbcde', operator: devWallet('operator').address });
  const operator = registryClient(devWallet('operator', node.provider), registry);
  for (const i of [4, 5, 6]) await authorizeKiosk(operator, { venueId: v2, kiosk: devWallet(i).address });
  const now = (await node.provider.getBlock('latest'))!.timestamp;
  const commit = (who: number | 'kiosk', venueId: bigint) => commitBatch(registryClient(devWallet(who, node.provider), registry), { venueId, seq: 0, merkleRoot: '0x' + '22'.repeat(32), count: 1, fromTime: now - 60, toTime: now });
  await commit('kiosk', v1);
  await commit(4, v2);
  await commit(5, v2);

  const community = await communityKeys(registryClient(node.provider, registry), { region: 'u4pr' });
  t.same(community.withoutKey, [devWallet(6).address], 'a kiosk that never committed has no recoverable key');
  t.same(new Set(community.kiosks.map((k) => k.publicKey)), new Set(['kiosk', 4, 5].map((w) => '0x' + Buffer.from(ringPublicKey(secret(w as never))).toString('hex'))), 'keys recovered from the commit transactions');
  t.same((await communityKeys(registryClient(node.provider, registry), { region: 'u4pq' })).kiosks, [], 'another region: nobody');

  const ring = community.kiosks.map((k) => Uint8Array.from(Buffer.from(k.publicKey.slice(2), 'hex')));
  const body = (occupancy: number) => ({ region: 'u4pr', time: now, occupancy, crowding: 'high' as const });
  const reports = [
    signCommunityReport({ body: body(40), ring, secretKey: secret(4) }),
    signCommunityReport({ body: body(55), ring, secretKey: secret('kiosk') }),
    signCommunityReport({ body: body(60), ring, secretKey: secret(4) }),
    signCommunityReport({ body: body(1), ring: [...ring.slice(0, 2), ringPublicKey(secret(8))], secretKey: secret(8) }),
  ];
  const dir = t.testdir({});
  const file = join(dir, 'reports.json');
  writeFileSync(file, JSON.stringify(reports));
  const r = await cli(['authority', 'community-reports', '--file', file, '--rpc', node.rpcUrl, '--registry', registry, '--region', 'u4pr', '--json']);
  t.equal(r.code, 1, `some refused: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  t.equal(out.communityKiosks, 3);
  t.match(out.reports, [
    { index: 0, ok: true, occupancy: 40, ringSize: 3 },
    { index: 1, ok: true, occupancy: 55 },
    { index: 2, ok: false, code: 'WAYMARK_ERR_RING_DOUBLE_REPORT', linkedTo: 0 },
    { index: 3, ok: false, code: 'WAYMARK_ERR_COMMUNITY_RING_INVALID' },
  ]);
  t.notMatch(r.stdout, new RegExp(devWallet(4).address.slice(2), 'i'), 'the output never names the signing kiosk');

  writeFileSync(file, JSON.stringify(reports.slice(0, 2)));
  const okRun = await cli(['authority', 'community-reports', '--file', file, '--rpc', node.rpcUrl, '--registry', registry, '--region', 'u4pr']);
  t.equal(okRun.code, 0, okRun.stderr);
  t.match(okRun.stdout, /2 of 2 report\(s\) verified for region u4pr/);
});
