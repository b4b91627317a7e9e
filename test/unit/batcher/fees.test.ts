import t from 'tap';
import { backoffMs, bumpFees, capFees, formatGwei, GWEI, gweiToWei } from '../../../kiosk/batcher/fees.js';
import { isWaymarkError } from '../../../core/errors.js';

t.test('capFees: 2 x base + tip, clamped to the cap', async (t) => {
  t.same(capFees({ baseFeePerGas: 10n * GWEI, priorityFeePerGas: GWEI }, 200n * GWEI), { maxFeePerGas: 21n * GWEI, maxPriorityFeePerGas: GWEI });
  t.same(capFees({ baseFeePerGas: 150n * GWEI, priorityFeePerGas: 2n * GWEI }, 200n * GWEI), { maxFeePerGas: 200n * GWEI, maxPriorityFeePerGas: 2n * GWEI });
});

t.test('capFees refuses a base fee over the cap with WAYMARK_ERR_CHAIN_GAS_CAP', async (t) => {
  try {
    capFees({ baseFeePerGas: 250n * GWEI, priorityFeePerGas: GWEI }, 200n * GWEI);
    t.fail('should throw');
  } catch (err) {
    t.ok(isWaymarkError(err, 'WAYMARK_ERR_CHAIN_GAS_CAP'));
    t.match((err as Error).message, /base fee 250 \+ tip 1 gwei is above the cap of 200 gwei/);
  }
});

t.test('bumpFees: at least +12.5 % on both fees, never over the cap', async (t) => {
  const prev = { maxFeePerGas: 40n * GWEI, maxPriorityFeePerGas: 2n * GWEI };
  const bumped = bumpFees(prev, { baseFeePerGas: 10n * GWEI, priorityFeePerGas: GWEI }, 200n * GWEI)!;
  t.ok(bumped.maxFeePerGas * 100n >= prev.maxFeePerGas * 112n);
  t.ok(bumped.maxPriorityFeePerGas * 100n >= prev.maxPriorityFeePerGas * 112n);
  const spike = bumpFees(prev, { baseFeePerGas: 60n * GWEI, priorityFeePerGas: GWEI }, 200n * GWEI)!;
  t.equal(spike.maxFeePerGas, 121n * GWEI, 'follows the quote when it is higher than the bump');
  t.equal(bumpFees({ maxFeePerGas: 190n * GWEI, maxPriorityFeePerGas: GWEI }, { baseFeePerGas: GWEI, priorityFeePerGas: GWEI }, 200n * GWEI), null, 'no room under the cap');
});

t.test('backoff doubles up to the maximum', async (t) => {
  t.same([0, 1, 2, 3, 4, 10, 100].map((n) => backoffMs(n, 500, 4000)), [0, 500, 1000, 2000, 4000, 4000, 4000]);
});

t.test('gwei helpers', async (t) => {
  t.equal(gweiToWei(0.5), 500_000_000n);
  t.equal(formatGwei(1_500_000_000n), '1.5');
  t.equal(formatGwei(200n * GWEI), '200');
});
