/**
 * The dwell figure a kiosk offers visitors' wallets with each check-in token: the median
 * length of the visitor-device sessions it logged over the last week, read off the dwell
 * histogram. A wallet uses it as the visitor's stay when they do not check out
 * (beacon/visitor/exposure.ts, "kiosk-dwell").
 */
import type { Kiosk } from '../kiosk.js';

export interface DwellBucket {
  /** Upper bound of the bucket, minutes; null for the open-ended last one. */
  le: number | null;
  count: number;
}

/**
 * The median of a dwell histogram, seconds, interpolated linearly inside its bucket (the
 * open-ended bucket counts as its lower bound); undefined below `minSessions` sessions.
 */
export function medianDwellS(histogram: readonly DwellBucket[], minSessions = 10): number | undefined {
  const total = histogram.reduce((n, b) => n + b.count, 0);
  if (total < minSessions || total === 0) return undefined;
  const half = total / 2;
  let before = 0;
  let lo = 0;
  for (const b of histogram) {
    if (before + b.count >= half && b.count > 0) {
      const hi = b.le ?? lo;
      return Math.round((lo + ((half - before) / b.count) * (hi - lo)) * 60);
    }
    before += b.count;
    if (b.le !== null) lo = b.le;
  }
  return Math.round(lo * 60);
}

/**
 * A reader of the kiosk's figure, recomputed at most every `refreshMs` (the token route is
 * read every few seconds; the histogram query walks a week of sessions).
 */
export function kioskDwellFigure(kiosk: Pick<Kiosk, 'clock' | 'occupancy'>, opts: { windowMs?: number; refreshMs?: number; minSessions?: number } = {}): () => number | undefined {
  const windowMs = opts.windowMs ?? 7 * 86_400_000;
  const refreshMs = opts.refreshMs ?? 10 * 60_000;
  let at = -Infinity;
  let value: number | undefined;
  return () => {
    const now = kiosk.clock.now();
    if (now - at >= refreshMs) {
      at = now;
      try {
        value = medianDwellS(kiosk.occupancy(now - windowMs, now).dwellHistogram, opts.minSessions);
      } catch {
        value = undefined; // a store hiccup costs the wallet the figure, never the token
      }
    }
    return value;
  };
}
