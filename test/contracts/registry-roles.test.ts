import t from 'tap';
import { isWaymarkError } from '../../core/errors.js';
import { registryContract } from '../../contracts/client.js';
import { toChainError } from '../../contracts/chain-errors.js';
import { registerRegion } from '../../contracts/actions/register-region.js';
import { registerVenue } from '../../contracts/actions/register-venue.js';
import { authorizeKiosk } from '../../contracts/actions/authorize-kiosk.js';
import { revokeKiosk } from '../../contracts/actions/revoke-kiosk.js';
import { commitBatch } from '../../contracts/actions/commit-batch.js';
import { isKiosk } from '../../contracts/actions/is-kiosk.js';
import { nextSeq } from '../../contracts/actions/next-seq.js';
import { getVenue } from '../../contracts/actions/get-venue.js';
import { root, setUpVenue, startChain, type ChainFixture } from './fixture.js';

let chain: ChainFixture;
let venueId: bigint;
t.before(async () => {
  chain = await startChain();
  venueId = await setUpVenue(chain);
});
t.teardown(async () => chain?.stop());

const batch = (seq: number) => ({ venueId, seq, merkleRoot: root(0x1000 + seq), count: 1000, fromTime: 1_700_000_000, toTime: 1_700_003_600 });

/** Sends a raw contract call (skipping client-side checks) and returns the decoded error. */
async function rawRevert(client: ChainFixture['roles']['admin'], method: string, args: unknown[]) {
  try {
    await registryContract(client).getFunction(method).send(...args);
  } catch (err) {
    return toChainError(err, method);
  }
  throw new Error(`${method} did not revert`);
}

t.test('venue lookup returns what the authority registered', async (t) => {
  const v = await getVenue(chain.reader, { venueId });
  t.equal(v.geohash, 'u4pruydqq');
  t.equal(v.region, 'u4pr');
  t.equal(v.operator, chain.addresses.operator);
  t.equal(v.status, 'Empty');
  await t.rejects(getVenue(chain.reader, { venueId: 99 }), { code: 'WAYMARK_ERR_CHAIN_UNKNOWN_VENUE' });
});

t.test('only the admin or an enclosing authority registers regions', async (t) => {
  await t.rejects(registerRegion(chain.roles.stranger, { prefix: 'u4', authority: chain.addresses.stranger }), {
    code: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED', details: { revert: 'NotRegionAuthority' },
  });
  // the u4pr authority delegates u4pru (county -> city in S0's words)
  await registerRegion(chain.roles.authority, { prefix: 'u4pru', authority: chain.addresses.stranger });
  const { venueId: sub, region } = await registerVenue(chain.roles.stranger, { geohash: 'u4pruydqr', operator: chain.addresses.operator });
  t.equal(region, 'u4pru');
  t.ok(sub > venueId, 'venue ids count up');
  // but not a sibling region
  await t.rejects(registerRegion(chain.roles.authority, { prefix: 'u4pq', authority: chain.addresses.stranger }), { code: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED' });
});

t.test('venues only beneath the authority prefix', async (t) => {
  await t.rejects(registerVenue(chain.roles.authority, { geohash: 'u4pqzzzzz', operator: chain.addresses.operator }), {
    code: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED', details: { revert: 'NotRegionAuthority' },
  });
  await t.rejects(registerVenue(chain.roles.operator, { geohash: 'u4pruydqq', operator: chain.addresses.operator }), { code: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED' });
});

t.test('bad geohashes are refused client-side and on chain with named errors', async (t) => {
  for (const geohash of ['u4pruydq', 'u4pruydqqq', 'u4pruydqa', 'U4PRUYDQQ', 'u4pr ydqq']) {
    await t.rejects(registerVenue(chain.roles.authority, { geohash, operator: chain.addresses.operator }), { code: 'WAYMARK_ERR_GEOHASH_INVALID' }, geohash);
  }
  await t.rejects(registerRegion(chain.roles.admin, { prefix: 'u4pruydqq', authority: chain.addresses.stranger }), { code: 'WAYMARK_ERR_GEOHASH_INVALID' });
  const op = chain.addresses.operator;
  const zero = `0x${'0'.repeat(64)}`;
  const short = await rawRevert(chain.roles.authority, 'registerVenue', ['u4pruydq', op, zero]);
  t.match(short, { code: 'WAYMARK_ERR_GEOHASH_INVALID', details: { revert: 'InvalidGeohashLength', args: { length: '8' } } });
  const bad = await rawRevert(chain.roles.authority, 'registerVenue', ['u4pruydqa', op, zero]);
  t.match(bad, { code: 'WAYMARK_ERR_GEOHASH_INVALID', details: { revert: 'InvalidGeohashCharacter', args: { index: '8' } } });
  const badPrefix = await rawRevert(chain.roles.admin, 'registerRegion', ['u4il', op]);
  t.match(badPrefix, { details: { revert: 'InvalidGeohashCharacter', args: { index: '2' } } });
});

t.test('only the operator authorizes and revokes kiosks', async (t) => {
  await t.rejects(authorizeKiosk(chain.roles.stranger, { venueId, kiosk: chain.addresses.kiosk2 }), {
    code: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED', details: { revert: 'NotVenueOperator' },
  });
  await t.rejects(authorizeKiosk(chain.roles.operator, { venueId, kiosk: chain.addresses.kiosk }), {
    code: 'WAYMARK_ERR_CHAIN_CONFLICT', details: { revert: 'KioskAlreadyAuthorized' },
  });
  t.equal(await isKiosk(chain.reader, { venueId, kiosk: chain.addresses.kiosk }), true);
  t.equal(await isKiosk(chain.reader, { venueId, kiosk: chain.addresses.kiosk2 }), false);
});

t.test('an unauthorized commit reverts with NotAuthorizedKiosk', async (t) => {
  const err = await commitBatch(chain.roles.stranger, batch(0)).catch((e: unknown) => e);
  t.ok(isWaymarkError(err, 'WAYMARK_ERR_CHAIN_UNAUTHORIZED'));
  t.match(err, { details: { revert: 'NotAuthorizedKiosk', args: { kiosk: chain.addresses.stranger } } });
});

t.test('a commit for an unknown venue reverts with UnknownVenue', async (t) => {
  await t.rejects(commitBatch(chain.roles.kiosk, { ...batch(0), venueId: 42 }), {
    code: 'WAYMARK_ERR_CHAIN_UNKNOWN_VENUE', details: { revert: 'UnknownVenue', args: { venueId: '42' } },
  });
  await t.rejects(commitBatch(chain.roles.kiosk, { ...batch(0), venueId: 0 }), { code: 'WAYMARK_ERR_CHAIN_UNKNOWN_VENUE' });
});

t.test('a revoked kiosk is refused; re-authorized it continues its sequence', async (t) => {
  await commitBatch(chain.roles.kiosk, batch(0));
  await revokeKiosk(chain.roles.operator, { venueId, kiosk: chain.addresses.kiosk });
  t.equal(await isKiosk(chain.reader, { venueId, kiosk: chain.addresses.kiosk }), false);
  await t.rejects(commitBatch(chain.roles.kiosk, batch(1)), { code: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED', details: { revert: 'NotAuthorizedKiosk' } });
  await t.rejects(revokeKiosk(chain.roles.operator, { venueId, kiosk: chain.addresses.kiosk }), { code: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED', details: { revert: 'NotAuthorizedKiosk' } });
  await authorizeKiosk(chain.roles.operator, { venueId, kiosk: chain.addresses.kiosk });
  t.equal(await nextSeq(chain.reader, { kiosk: chain.addresses.kiosk }), 1n);
  await commitBatch(chain.roles.kiosk, batch(1));
  t.equal(await nextSeq(chain.reader, { kiosk: chain.addresses.kiosk }), 2n);
});

t.test('write actions refuse a read-only client', async (t) => {
  await t.rejects(commitBatch(chain.reader, batch(2)), { code: 'WAYMARK_ERR_USAGE' });
});
