/**
 * A small seeded random source for the simulators: the same seed always gives the same
 * sequence, so a simulated venue, a test or a demo can be replayed exactly.
 */

/** Turns a number or a label into a 32-bit seed (FNV-1a over the text form). */
export function seedFrom(seed: number | string): number {
  const text = typeof seed === 'number' ? `n:${seed}` : `s:${seed}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** splitmix32: spreads one 32-bit seed over the four words of xoshiro's state. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

const TWO_POW_32 = 4294967296;

/**
 * xoshiro128** (Blackman & Vigna) with the distributions the simulators need.
 * Not for cryptography: simulated addresses and payloads only need to look random.
 */
export class SimRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  /** Box-Muller makes normals in pairs; the second one waits here. */
  #spareNormal: number | null = null;

  constructor(seed: number | string) {
    const st = { s: seedFrom(seed) };
    this.#a = splitmix32(st);
    this.#b = splitmix32(st);
    this.#c = splitmix32(st);
    this.#d = splitmix32(st);
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1;
  }

  /** A uniform unsigned 32-bit integer. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** Uniform in [min, max). */
  uniform(min = 0, max = 1): number {
    return min + (max - min) * this.next();
  }

  /** A uniform integer in [min, max], both ends included. */
  int(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
      throw new RangeError(`int(min, max) needs integers with min <= max, got ${min}, ${max}`);
    }
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Exponentially distributed with the given rate (mean 1/rate): gaps of a Poisson process. */
  exponential(rate: number): number {
    if (!(rate > 0)) throw new RangeError(`exponential(rate) needs rate > 0, got ${rate}`);
    // 1 - next() is in (0, 1], so the log is finite.
    return -Math.log(1 - this.next()) / rate;
  }

  /** Normally distributed (Box-Muller). */
  normal(mean = 0, sd = 1): number {
    if (this.#spareNormal !== null) {
      const z = this.#spareNormal;
      this.#spareNormal = null;
      return mean + sd * z;
    }
    const u1 = 1 - this.next();
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.#spareNormal = r * Math.sin(theta);
    return mean + sd * r * Math.cos(theta);
  }

  /** Log-normally distributed: exp(N(mu, sigma)); its median is exp(mu). */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick(items) needs a non-empty list');
    return items[Math.floor(this.next() * items.length)];
  }

  /** One element of a non-empty list, with probability proportional to its weight. */
  pickWeighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    if (!(total > 0)) throw new RangeError('pickWeighted(items) needs a positive total weight');
    let x = this.next() * total;
    for (const [item, w] of items) {
      x -= w;
      if (x < 0) return item;
    }
    return items[items.length - 1][0];
  }

  /** n uniformly random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      let w = this.uint32();
      for (let j = i; j < Math.min(n, i + 4); j++) {
        out[j] = w & 0xff;
        w >>>= 8;
      }
    }
    return out;
  }

  /**
   * An independent stream derived from this one and a label. Forking lets each simulated
   * device own its randomness, so its behaviour does not depend on how the others interleave.
   */
  fork(label: number | string = ''): SimRandom {
    return new SimRandom(`${this.uint32()}:${this.uint32()}:${label}`);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
