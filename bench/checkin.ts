/**
 * Check-in benchmarks: attestations signed per second on one core (the kiosk's fast EIP-712
 * digest + secp256k1), and the p99 latency of POST /v1/checkins at an open-loop 500 req/s
 * over real keep-alive HTTP against the check-in routes on a real SQLite store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { Wallet } from 'ethers';
import type { Clock } from '../core/clock.js';
import { parseConfig } from '../core/config.js';
import { openDatabase } from '../kiosk/store/database.js';
import { errorHandler } from '../kiosk/http/errors.js';
import { checkinRoutes } from '../kiosk/http/checkin-routes.js';
import { AttestationSigner } from '../kiosk/checkin/attestation-signer.js';
import { CheckinService } from '../kiosk/checkin/service.js';

/** Wall time, taken as synchronized (the benchmark measures signing, not the clock guard). */
const benchClock: Clock = { now: () => Date.now(), syncStatus: () => ({ synced: true, source: 'manual', detail: 'benchmark' }) };
import type { BenchFigure, BenchGroup } from './types.js';

const REGISTRY = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

function signPerSecond(seconds: number): number {
  const signer = new AttestationSigner({ key: Wallet.createRandom().privateKey, chainId: 31337, verifyingContract: REGISTRY, venueId: 1, geohash: 'u4pruydqq' });
  const visitors = Array.from({ length: 256 }, () => '0x' + randomBytes(32).toString('hex'));
  for (let i = 0; i < 200; i++) signer.attest({ visitor: visitors[i & 255], time: 1_777_636_800 + i, presence: 'qr-token', seq: i }); // warm-up
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let j = 0; j < 50; j++, n++) signer.attest({ visitor: visitors[n & 255], time: 1_777_636_800 + n, presence: 'qr-token', seq: n });
  }
  return n / ((performance.now() - start) / 1000);
}

function postJson(agent: Agent, port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/checkins', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function httpLatency(rate: number, seconds: number): Promise<{ p50: number; p99: number; max: number; sent: number; ok: number; achievedRate: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-checkin-'));
  const db = openDatabase(join(dir, 'waymark.db'));
  const config = parseConfig({ checkin: { rateLimit: { checkinsPerMinute: 1_000_000, tokenReadsPerMinute: 1_000_000 } } });
  const service = new CheckinService({ db, clock: benchClock, key: Wallet.createRandom(), chainId: 31337, registry: REGISTRY, venueId: 1, geohash: 'u4pruydqq', settings: config.checkin });
  const app = Fastify({ logger: false });
  app.setErrorHandler(errorHandler);
  await app.register(checkinRoutes, { service, venueName: 'Bench', publicUrl: () => 'http://127.0.0.1:8080', rateLimit: config.checkin.rateLimit });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  try {
    const latencies: number[] = [];
    let ok = 0;
    const total = Math.round(rate * seconds);
    const pending: Promise<void>[] = [];
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const body = JSON.stringify({ visitor: '0x' + randomBytes(32).toString('hex'), token: service.currentToken().token });
      // latency from the scheduled time, so a stalled client does not hide queueing (open loop)
      pending.push(postJson(agent, port, body).then((status) => {
        latencies.push(performance.now() - due);
        if (status === 201) ok++;
      }));
    }
    await Promise.all(pending);
    const elapsed = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
    return { p50: q(0.5), p99: q(0.99), max: latencies[latencies.length - 1], sent: total, ok, achievedRate: total / elapsed };
  } finally {
    agent.destroy();
    await app.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const group: BenchGroup = {
  name: 'checkin',
  async run({ quick, log }) {
    const figures: BenchFigure[] = [];
    const perS = signPerSecond(quick ? 1 : 3);
    figures.push({ bench: 'checkin.sign_per_s', value: Math.round(perS), unit: 'attestations/s', goal: 1500, better: 'higher', cores: 1 });
    log(`signed ${Math.round(perS)} attestations/s on one core`);
    const rate = 500;
    await httpLatency(rate, 1); // warm-up
    const r = await httpLatency(rate, quick ? 3 : 10);
    log(`POST /v1/checkins at ${rate} req/s: sent ${r.sent}, 201 ${r.ok}, achieved ${r.achievedRate.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(2)} ms`);
    figures.push({ bench: 'checkin.http_p99_ms', value: Math.round(r.p99 * 100) / 100, unit: 'ms', goal: 25, better: 'lower', rate, p50Ms: Math.round(r.p50 * 100) / 100, requests: r.sent, created: r.ok });
    return figures;
  },
};
