/**
 * The sender's pure policies: EIP-1559 fees under the kiosk's cap (`chain.maxFeeGwei`), fee
 * bumps for a stuck commit, and exponential retry backoff.
 */
import { WaymarkError } from '../../core/errors.js';

export const GWEI = 1_000_000_000n;

export interface FeeQuote {
  /** Base fee of the latest block, wei. */
  baseFeePerGas: bigint;
  /** The node's suggested tip, wei. */
  priorityFeePerGas: bigint;
}

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

export function gweiToWei(gwei: number): bigint {
  return BigInt(Math.round(gwei * 1e9));
}

/**
 * Fees for a new commit: max fee = 2 x base fee + tip (room for six full blocks of base fee
 * growth), clamped to the cap. Throws WAYMARK_ERR_CHAIN_GAS_CAP when the base fee plus tip
 * alone is above the cap: the commit waits until gas is cheaper.
 */
export function capFees(quote: FeeQuote, capWei: bigint): Fees {
  const tip = quote.priorityFeePerGas < capWei ? quote.priorityFeePerGas : capWei;
  if (quote.baseFeePerGas + tip > capWei) {
    throw new WaymarkError('WAYMARK_ERR_CHAIN_GAS_CAP', `base fee ${formatGwei(quote.baseFeePerGas)} + tip ${formatGwei(tip)} gwei is above the cap of ${formatGwei(capWei)} gwei`, {
      details: { baseFeeWei: quote.baseFeePerGas.toString(), capWei: capWei.toString() },
    });
  }
  let maxFee = 2n * quote.baseFeePerGas + tip;
  if (maxFee > capWei) maxFee = capWei;
  return { maxFeePerGas: maxFee, maxPriorityFeePerGas: tip };
}

/**
 * Fees to replace a stuck transaction with the same nonce: nodes want both fees at least
 * 10 % higher, so +12.5 %, and at least the current quote; null when the cap leaves no room.
 */
export function bumpFees(previous: Fees, quote: FeeQuote, capWei: bigint): Fees | null {
  const bump = (v: bigint) => v + v / 8n + 1n;
  let fees: Fees;
  try {
    fees = capFees(quote, capWei);
  } catch {
    fees = { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n };
  }
  const maxPriority = max(bump(previous.maxPriorityFeePerGas), fees.maxPriorityFeePerGas);
  const maxFee = max(bump(previous.maxFeePerGas), fees.maxFeePerGas, maxPriority);
  if (maxFee > capWei) return null;
  return { maxFeePerGas: maxFee, maxPriorityFeePerGas: maxPriority };
}

function max(...values: bigint[]): bigint {
  return values.reduce((a, b) => (a > b ? a : b));
}

export function formatGwei(wei: bigint): string {
  const whole = wei / GWEI;
  const frac = (wei % GWEI).toString().padStart(9, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole.toString();
}

/** Delay before retry number `failures` (1, 2, ...): min x 2^(n-1), at most max. */
export function backoffMs(failures: number, minMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, minMs * 2 ** Math.min(failures - 1, 30));
}
