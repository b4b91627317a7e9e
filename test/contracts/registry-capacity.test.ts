import t from 'tap';
import { registryContract, type RegistryClient } from '../../contracts/client.js';
import { toChainError } from '../../contracts/chain-errors.js';
import { assertCapacityPolicy, capacityOf, reportCapacityRestored, reportOverCapacity, setCapacityPolicy } from '../../contracts/actions/capacity.js';
import { blockTime, setUpVenue, startChain, type ChainFixture, eventsOf } from './fixture.js';

let chain: ChainFixture;
let venueId: bigint;
t.before(async () => {
  chain = await startChain();
  venueId = await setUpVenue(chain);
});
t.teardown(async () => chain?.stop());

const events = (txHash: string) => eventsOf(chain, txHash);
/** The contract's own answer, without the client-side checks of the actions. */
async function raw(client: RegistryClient, method: string, ...args: unknown[]): Promise<void> {
  try {
    await (await registryContract(client).getFunction(method).send(...args)).wait();
  } catch (err) {
    throw toChainError(err, method);
  }
}

t.test('bad policies are refused before sending and by the contract', async (t) => {
  for (const [capacity, minMinutes] of [[0, 5], [10, 0], [1_000_001, 5], [10, 1441], [2.5, 5], [-1, 5]] as const) {
    t.throws(() => assertCapacityPolicy({ capacity, minMinutes }), { code: 'WAYMARK_ERR_CAPACITY_POLICY_INVALID' }, `${capacity}/${minMinutes}`);
  }
  for (const [capacity, minMinutes] of [[0, 5], [10, 0], [1_000_001, 5], [10, 1441]]) {
    await t.rejects(raw(chain.roles.operator, 'setCapacityPolicy', venueId, capacity, minMinutes),
      { code: 'WAYMARK_ERR_CAPACITY_POLICY_INVALID', details: { revert: 'InvalidCapacityPolicy' } }, `contract ${capacity}/${minMinutes}`);
  }
  await t.rejects(setCapacityPolicy(chain.roles.stranger, { venueId, capacity: 10, minMinutes: 5 }), { code: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED', details: { revert: 'NotVenueOperator' } });
  await t.rejects(setCapacityPolicy(chain.roles.kiosk, { venueId, capacity: 10, minMinutes: 5 }), { code: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED' });
  t.same(await capacityOf(chain.reader, { venueId }), { capacity: 0, minMinutes: 0, overSince: 0, occupancy: 0 });
});

t.test('a crossing needs a policy', async (t) => {
  const now = await blockTime(chain);
  await t.rejects(reportOverCapacity(chain.roles.kiosk, { venueId, occupancy: 50, since: now - 3600, at: now }), { code: 'WAYMARK_ERR_CAPACITY_NO_POLICY' });
});

t.test('operator and region authority set the policy; the event says who', async (t) => {
  const r = await setCapacityPolicy(chain.roles.authority, { venueId, capacity: 30, minMinutes: 10 });
  t.match(await events(r.txHash), [{ name: 'CapacityPolicySet', args: { venueId, setBy: chain.addresses.authority, capacity: 30n, minMinutes: 10n } }]);
  const o = await setCapacityPolicy(chain.roles.operator, { venueId, capacity: 20, minMinutes: 10 });
  t.match(await events(o.txHash), [{ name: 'CapacityPolicySet', args: { setBy: chain.addresses.operator, capacity: 20n } }]);
  t.same(await capacityOf(chain.reader, { venueId }), { capacity: 20, minMinutes: 10, overSince: 0, occupancy: 0 });
});

t.test('over capacity: refused when short, not over, reversed or by a stranger; then reported once', async (t) => {
  const now = await blockTime(chain);
  await t.rejects(reportOverCapacity(chain.roles.kiosk, { venueId, occupancy: 25, since: now - 599, at: now }), { code: 'WAYMARK_ERR_CAPACITY_CROSSING', details: { revert: 'CrossingTooShort' } });
  await t.rejects(reportOverCapacity(chain.roles.kiosk, { venueId, occupancy: 20, since: now - 900, at: now }), { code: 'WAYMARK_ERR_CAPACITY_CROSSING', details: { revert: 'NotOverCapacity' } });
  await t.rejects(reportOverCapacity(chain.roles.kiosk, { venueId, occupancy: 25, since: now + 900, at: now }), { code: 'WAYMARK_ERR_CAPACITY_CROSSING', details: { revert: 'InvalidCrossingTime' } });
  await t.rejects(raw(chain.roles.kiosk, 'reportOverCapacity', venueId, 25, now - 900, 2n ** 40n), { code: 'WAYMARK_ERR_CAPACITY_CROSSING', details: { revert: 'InvalidCrossingTime' } });
  await t.rejects(reportOverCapacity(chain.roles.stranger, { venueId, occupancy: 25, since: now - 900, at: now }), { code: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED', details: { revert: 'NotAuthorizedKiosk' } });
  await t.rejects(reportCapacityRestored(chain.roles.kiosk, { venueId, occupancy: 5, at: now }), { code: 'WAYMARK_ERR_CAPACITY_CROSSING', details: { revert: 'NotReportedOverCapacity' } });

  const r = await reportOverCapacity(chain.roles.kiosk, { venueId, occupancy: 25, since: now - 900, at: now });
  t.equal(r.since, now - 900);
  t.match(await events(r.txHash), [{ name: 'CapacityCrossed', args: { venueId, kiosk: chain.addresses.kiosk, over: true, occupancy: 25n, capacity: 20n, since: BigInt(now - 900), at: BigInt(now) } }]);
  t.same(await capacityOf(chain.reader, { venueId }), { capacity: 20, minMinutes: 10, overSince: now - 900, occupancy: 25 });
  t.ok(r.gasUsed < 60_000n, `reportOverCapacity gas ${r.gasUsed}`);
  await t.rejects(reportOverCapacity(chain.roles.kiosk, { venueId, occupancy: 26, since: now - 800, at: now }), { code: 'WAYMARK_ERR_CAPACITY_CROSSING', details: { revert: 'AlreadyOverCapacity' } });
});

t.test('the end of the crowding carries its start; refused while still over', async (t) => {
  const now = await blockTime(chain);
  const { overSince } = await capacityOf(chain.reader, { venueId });
  await t.rejects(reportCapacityRestored(chain.roles.kiosk, { venueId, occupancy: 21, at: now }), { code: 'WAYMARK_ERR_CAPACITY_CROSSING', details: { revert: 'StillOverCapacity' } });
  await t.rejects(reportCapacityRestored(chain.roles.kiosk, { venueId, occupancy: 10, at: overSince - 1 }), { code: 'WAYMARK_ERR_CAPACITY_CROSSING', details: { revert: 'InvalidCrossingTime' } });
  const r = await reportCapacityRestored(chain.roles.kiosk, { venueId, occupancy: 18, at: now });
  t.match(await events(r.txHash), [{ name: 'CapacityCrossed', args: { over: false, occupancy: 18n, capacity: 20n, since: BigInt(overSince), at: BigInt(now) } }]);
  t.same(await capacityOf(chain.reader, { venueId }), { capacity: 20, minMinutes: 10, overSince: 0, occupancy: 18 });
});

t.test('removing the policy clears a reported crowding', async (t) => {
  const now = await blockTime(chain);
  await reportOverCapacity(chain.roles.kiosk, { venueId, occupancy: 40, since: now - 600, at: now });
  await setCapacityPolicy(chain.roles.operator, { venueId, capacity: 0, minMinutes: 0 });
  t.same(await capacityOf(chain.reader, { venueId }), { capacity: 0, minMinutes: 0, overSince: 0, occupancy: 40 });
  await t.rejects(capacityOf(chain.reader, { venueId: 999 }), { code: 'WAYMARK_ERR_CHAIN_UNKNOWN_VENUE' });
});
