/**
 * The kiosk's capacity watch: the pure step (streaks, the policy's minutes, short dips) and
 * the watch over a registry stand-in that keeps the contract's state rules, so restarts,
 * a second kiosk and an unsynced clock are covered without a node (test/e2e/capacity.test.ts
 * runs it against anvil).
 */
import t from 'tap';
import { ManualClock } from '../../core/clock.js';
import { WaymarkError } from '../../core/errors.js';
import type { CapacityOfReturnType } from '../../contracts/actions/capacity.js';
import { CapacityWatch, capacityStep, type CapacityChain, type CapacityStreak } from '../../kiosk/capacity.js';

const POLICY: CapacityOfReturnType = { capacity: 10, minMinutes: 5, overSince: 0, occupancy: 0 };
const fresh: CapacityStreak = { overSince: null, belowSince: null };

t.test('capacityStep: over only after the policy minutes above capacity', async (t) => {
  let s = capacityStep(POLICY, fresh, 11, 1000, 60);
  t.same(s, { streak: { overSince: 1000, belowSince: null }, action: { kind: 'none' } });
  s = capacityStep(POLICY, s.streak, 12, 1000 + 299, 60);
  t.equal(s.action.kind, 'none', '4:59 above is not enough');
  s = capacityStep(POLICY, s.streak, 13, 1000 + 300, 60);
  t.same(s.action, { kind: 'over', occupancy: 13, since: 1000, at: 1300 });
  t.same(capacityStep(POLICY, fresh, 10, 5000, 60).action, { kind: 'none' }, 'at capacity is not over');
  t.same(capacityStep({ ...POLICY, capacity: 0 }, { overSince: 1, belowSince: null }, 99, 9999, 60),
    { streak: fresh, action: { kind: 'none' } }, 'no policy: nothing, and the streak is dropped');
});

t.test('capacityStep: a dip shorter than restoreAfterS keeps the streak; a longer one ends it', async (t) => {
  let s = capacityStep(POLICY, fresh, 11, 0, 60);
  s = capacityStep(POLICY, s.streak, 9, 100, 60);
  s = capacityStep(POLICY, s.streak, 9, 159, 60);
  t.equal(s.streak.overSince, 0, 'a 59 s dip');
  s = capacityStep(POLICY, s.streak, 11, 300, 60);
  t.same(s.action, { kind: 'over', occupancy: 11, since: 0, at: 300 }, 'the streak counts from its start');
  s = capacityStep(POLICY, s.streak, 9, 400, 60);
  s = capacityStep(POLICY, s.streak, 9, 460, 60);
  t.equal(s.streak.overSince, null, 'a 60 s dip ends it');
});

t.test('capacityStep: the end is reported once the registry holds a crowding and the count stayed down', async (t) => {
  const reported = { ...POLICY, overSince: 700 };
  let s = capacityStep(reported, { overSince: 700, belowSince: null }, 8, 1000, 60);
  t.same(s.action, { kind: 'none' }, 'just went down');
  s = capacityStep(reported, s.streak, 7, 1060, 60);
  t.same(s.action, { kind: 'restored', occupancy: 7, at: 1060 });
  t.same(capacityStep(reported, { overSince: 700, belowSince: null }, 11, 2000, 60).action, { kind: 'none' }, 'still over: nothing');
  t.same(capacityStep(reported, fresh, 3, 600, 0).action, { kind: 'none' }, 'never an end before its start (clock behind)');
});

/** The registry's capacity rules for one venue, in memory; `fail` makes the next call throw. */
function registryStandIn(policy: CapacityOfReturnType) {
  const state = { ...policy };
  const sent: { kind: string; occupancy: number; since?: number; at: number }[] = [];
  let fail: Error | undefined;
  const revert = (name: string) => new WaymarkError('WAYMARK_ERR_CAPACITY_CROSSING', name, { details: { revert: name } });
  const chain: CapacityChain = {
    async read() {
      if (fail) throw fail;
      return { ...state };
    },
    async reportOver(p) {
      if (state.overSince !== 0) throw revert('AlreadyOverCapacity');
      sent.push({ kind: 'over', ...p });
      Object.assign(state, { overSince: p.since, occupancy: p.occupancy });
      return { txHash: '0x1', blockNumber: 1, gasUsed: 34_000n, since: p.since, capacity: state.capacity };
    },
    async reportRestored(p) {
      if (state.overSince === 0) throw revert('NotReportedOverCapacity');
      sent.push({ kind: 'restored', ...p });
      const since = state.overSince;
      Object.assign(state, { overSince: 0, occupancy: p.occupancy });
      return { txHash: '0x2', blockNumber: 2, gasUsed: 30_000n, since, capacity: state.capacity };
    },
    async close() {},
  };
  return { chain, state, sent, failNext: (err: Error | undefined) => (fail = err) };
}

t.test('the watch reports a crossing and its end once each, and shows full', async (t) => {
  const reg = registryStandIn(POLICY);
  const clock = new ManualClock(1_000_000_000);
  let occupancy = 12;
  const watch = new CapacityWatch({ chain: reg.chain, clock, occupancy: () => occupancy, pollMs: 1000, restoreAfterS: 60 });
  t.teardown(() => watch.stop());
  let view = await watch.refresh();
  t.match(view, { capacity: 10, minMinutes: 5, occupancy: 12, full: true, overSince: 1_000_000, reported: null, stale: false });
  for (let i = 0; i < 10; i++) {
    clock.advance(60_000);
    view = await watch.refresh();
  }
  t.same(reg.sent, [{ kind: 'over', occupancy: 12, since: 1_000_000, at: 1_000_300 }], 'one report, when due');
  t.same(view.reported, { since: 1_000_000, occupancy: 12 });
  occupancy = 4;
  for (let i = 0; i < 5; i++) {
    clock.advance(30_000);
    view = await watch.refresh();
  }
  t.equal(reg.sent.length, 2);
  t.match(reg.sent[1], { kind: 'restored', occupancy: 4 });
  t.match(view, { full: false, reported: null, crossingsReported: 2 });
});

t.test('the watch: nothing sent while the clock is unsynced; failures retried; a lost report made again', async (t) => {
  const reg = registryStandIn(POLICY);
  const clock = new ManualClock(2_000_000_000);
  clock.setSyncStatus({ synced: false, source: 'none' });
  const watch = new CapacityWatch({ chain: reg.chain, clock, occupancy: () => 30, pollMs: 1000 });
  t.teardown(() => watch.stop());
  await watch.refresh();
  clock.advance(600_000);
  let view = await watch.refresh();
  t.equal(reg.sent.length, 0, 'nothing sent with an unsynced clock');
  t.match(view.lastError, /clock not synced/);
  clock.setSyncStatus({ synced: true, source: 'manual' });
  reg.failNext(new WaymarkError('WAYMARK_ERR_CHAIN_UNAVAILABLE', 'node down'));
  view = await watch.refresh();
  t.match(view, { stale: true, lastError: /WAYMARK_ERR_CHAIN_UNAVAILABLE/ });
  reg.failNext(undefined);
  await watch.refresh();
  t.equal(reg.sent.length, 1, 'reported once the node answers');
  reg.state.overSince = 0; // the chain lost it (a reorg): the watch reports again at the next poll
  clock.advance(1000);
  await watch.refresh();
  t.equal(reg.sent.length, 2);
  view = await watch.refresh();
  t.equal(reg.sent.length, 2, 'but not twice');
  t.equal(view.stale, false);
});

t.test('the watch takes AlreadyOverCapacity as done', async (t) => {
  const reg = registryStandIn(POLICY);
  const clock = new ManualClock(3_000_000_000);
  const watch = new CapacityWatch({ chain: reg.chain, clock, occupancy: () => 30, pollMs: 1000 });
  t.teardown(() => watch.stop());
  await watch.refresh();
  clock.advance(300_000);
  // a second kiosk reports between this kiosk's read and its report
  const read = reg.chain.read;
  reg.chain.read = async () => {
    const r = await read();
    reg.state.overSince = 42;
    reg.chain.read = read;
    return r;
  };
  const view = await watch.refresh();
  t.equal(reg.sent.length, 0);
  t.match(view, { stale: false, lastError: null, reported: { since: 42 }, crossingsReported: 0 });
});
