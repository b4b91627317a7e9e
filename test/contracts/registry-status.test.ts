import t from 'tap';
import { registryContract } from '../../contracts/client.js';
import { toChainError } from '../../contracts/chain-errors.js';
import { commitBatch } from '../../contracts/actions/commit-batch.js';
import { reportExposure } from '../../contracts/actions/report-exposure.js';
import { markCleaned } from '../../contracts/actions/mark-cleaned.js';
import { statusOf } from '../../contracts/actions/status-of.js';
import { getVenue } from '../../contracts/actions/get-venue.js';
import { registerVenue } from '../../contracts/actions/register-venue.js';
import { blockTime, increaseTime, root, setUpVenue, startChain, type ChainFixture, eventsOf } from './fixture.js';

const DAY = 24 * 3600;
let chain: ChainFixture;
let venueId: bigint;
t.before(async () => {
  chain = await startChain();
  venueId = await setUpVenue(chain);
});
t.teardown(async () => chain?.stop());

const events = (txHash: string) => eventsOf(chain, txHash);
const S = { Empty: 0n, Clean: 1n, Infected: 2n };
const R = { FirstBatch: 0n, ExposureReported: 1n, Cleaned: 2n, ExposureExpired: 3n };

t.test('Empty -> Clean on the first batch', async (t) => {
  t.equal(await statusOf(chain.reader, { venueId }), 'Empty');
  const now = await blockTime(chain);
  await commitBatch(chain.roles.kiosk, { venueId, seq: 0, merkleRoot: root(1), count: 10, fromTime: now - 600, toTime: now });
  t.equal(await statusOf(chain.reader, { venueId }), 'Clean');
});

t.test('reportExposure -> Infected; markCleaned -> Clean', async (t) => {
  const now = await blockTime(chain);
  const r = await reportExposure(chain.roles.authority, { venueId, fromTime: now - 3600, toTime: now - 1800 });
  t.equal(r.expiresAt, BigInt(now - 1800 + 14 * DAY));
  t.match(await events(r.txHash), [
    { name: 'ExposureReported', args: { venueId, authority: chain.addresses.authority, fromTime: BigInt(now - 3600), toTime: BigInt(now - 1800) } },
    { name: 'StatusChanged', args: { venueId, previous: S.Clean, current: S.Infected, reason: R.ExposureReported } },
  ]);
  t.equal(await statusOf(chain.reader, { venueId }), 'Infected');
  await t.rejects(markCleaned(chain.roles.stranger, { venueId }), { code: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED', details: { revert: 'NotVenueOperator' } });
  const c = await markCleaned(chain.roles.operator, { venueId });
  t.match(await events(c.txHash), [{ name: 'StatusChanged', args: { previous: S.Infected, current: S.Clean, reason: R.Cleaned } }]);
  t.equal(await statusOf(chain.reader, { venueId }), 'Clean');
  await t.rejects(markCleaned(chain.roles.operator, { venueId }), { code: 'WAYMARK_ERR_CHAIN_CONFLICT', details: { revert: 'NotInfected' } });
});

t.test('an exposure that ended before the last cleaning is announced but does not re-infect', async (t) => {
  const now = await blockTime(chain);
  const r = await reportExposure(chain.roles.authority, { venueId, fromTime: now - 7200, toTime: now - 3600 });
  t.same((await events(r.txHash)).map((e) => e.name), ['ExposureReported']);
  t.equal(await statusOf(chain.reader, { venueId }), 'Clean');
});

t.test('Infected -> Clean 14 days after the window ends, evaluated on read', async (t) => {
  const now = await blockTime(chain);
  await reportExposure(chain.roles.authority, { venueId, fromTime: now - 60, toTime: now });
  t.equal(await statusOf(chain.reader, { venueId }), 'Infected');
  await increaseTime(chain, 14 * DAY - 120);
  t.equal(await statusOf(chain.reader, { venueId }), 'Infected', 'still infected just before expiry');
  await increaseTime(chain, 240);
  t.equal(await statusOf(chain.reader, { venueId }), 'Clean', 'clean after expiry without any transaction');
  // the next write touching the venue records the lapsed transition as an event
  const settle = await registryContract(chain.roles.stranger).getFunction('settle').send(venueId);
  const receipt = await settle.wait();
  t.match(await events(receipt!.hash), [{ name: 'StatusChanged', args: { previous: S.Infected, current: S.Clean, reason: R.ExposureExpired } }]);
  t.same((await events((await (await registryContract(chain.roles.stranger).getFunction('settle').send(venueId)).wait())!.hash)), [], 'only once');
});

t.test('exposure windows: from > to and long-expired windows are refused', async (t) => {
  await t.rejects(reportExposure(chain.roles.authority, { venueId, fromTime: 200, toTime: 100 }), { code: 'WAYMARK_ERR_EXPOSURE_WINDOW' });
  const raw = async (args: unknown[]) => {
    try {
      await registryContract(chain.roles.authority).getFunction('reportExposure').send(...args);
    } catch (err) {
      return toChainError(err, 'reportExposure');
    }
    throw new Error('no revert');
  };
  t.match(await raw([venueId, 200, 100]), { code: 'WAYMARK_ERR_EXPOSURE_WINDOW', details: { revert: 'InvalidExposureWindow', args: { fromTime: '200', toTime: '100' } } });
  t.match(await raw([venueId, 100, 200]), { code: 'WAYMARK_ERR_EXPOSURE_WINDOW', details: { revert: 'ExposureWindowExpired' } });
  await t.rejects(reportExposure(chain.roles.stranger, { venueId, fromTime: 100, toTime: 200 }), { code: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED', details: { revert: 'NotRegionAuthority' } });
  await t.rejects(reportExposure(chain.roles.authority, { venueId: 77, fromTime: 100, toTime: 200 }), { code: 'WAYMARK_ERR_CHAIN_UNKNOWN_VENUE' });
});

t.test('a venue without batches is Empty, Infected on report, then Clean', async (t) => {
  const { venueId: quiet } = await registerVenue(chain.roles.authority, { geohash: 'u4pruydqw', operator: chain.addresses.operator });
  t.equal(await statusOf(chain.reader, { venueId: quiet }), 'Empty');
  const now = await blockTime(chain);
  await reportExposure(chain.roles.authority, { venueId: quiet, fromTime: now - 10, toTime: now });
  t.equal(await statusOf(chain.reader, { venueId: quiet }), 'Infected');
  await markCleaned(chain.roles.operator, { venueId: quiet });
  const v = await getVenue(chain.reader, { venueId: quiet });
  t.equal(v.status, 'Clean');
  t.ok(v.exposure.cleanedAt > 0n);
});

t.test('custom expiry set at deploy', async (t) => {
  const short = await startChain({ exposureExpirySeconds: 3600 });
  t.teardown(() => short.stop());
  const id = await setUpVenue(short);
  const now = await blockTime(short);
  const r = await reportExposure(short.roles.authority, { venueId: id, fromTime: now - 10, toTime: now });
  t.equal(r.expiresAt, BigInt(now + 3600));
  await increaseTime(short, 3601);
  t.equal(await statusOf(short.reader, { venueId: id }), 'Clean');
});
