/**
 * Ring-signature benchmarks (community reports, docs/PROTOCOL.md "Community reports"): the
 * median time to sign and to verify one LSAG signature at ring sizes 2, 16 and 128, on one
 * core. Both grow linearly with the ring (S4 measured the same shape on a Pi).
 */
import { ringPublicKey, ringSign, ringVerify } from '../community/lsag.js';
import type { BenchFigure, BenchGroup } from './types.js';

const enc = new TextEncoder();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function measure(size: number, runs: number): { sign: number; verify: number } {
  const secrets = Array.from({ length: size }, () => crypto.getRandomValues(new Uint8Array(32)));
  const ring = secrets.map(ringPublicKey);
  const signs: number[] = [];
  const verifies: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    const who = r % size;
    const message = enc.encode(`report ${r}`);
    const linkTag = enc.encode(`epoch ${r}`);
    let t0 = performance.now();
    const signature = ringSign({ ring, secretKey: secrets[who]!, message, linkTag });
    const signMs = performance.now() - t0;
    t0 = performance.now();
    ringVerify({ ring, message, linkTag, signature });
    const verifyMs = performance.now() - t0;
    if (r > 0) { // the first run warms the JIT and noble's precomputed tables
      signs.push(signMs);
      verifies.push(verifyMs);
    }
  }
  return { sign: median(signs), verify: median(verifies) };
}

export const group: BenchGroup = {
  name: 'ring',
  async run({ quick, log }) {
    const figures: BenchFigure[] = [];
    for (const size of [2, 16, 128]) {
      const runs = quick ? (size >= 128 ? 2 : 4) : (size >= 128 ? 7 : 21);
      const m = measure(size, runs);
      log(`ring ${size}: sign ${m.sign.toFixed(1)} ms, verify ${m.verify.toFixed(1)} ms (median of ${runs})`);
      figures.push({ bench: 'ring.sign_ms', value: Number(m.sign.toFixed(2)), unit: 'ms', better: 'lower', ringSize: size, runs });
      figures.push({ bench: 'ring.verify_ms', value: Number(m.verify.toFixed(2)), unit: 'ms', better: 'lower', ringSize: size, runs });
    }
    return figures;
  },
};
