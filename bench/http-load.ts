/**
 * An open-loop HTTP load generator, run as its own process so its timers and JSON parsing
 * do not share an event loop with what it measures: requests leave on a fixed schedule
 * (`rate` per second, round-robin over the paths) whether or not earlier ones have
 * answered, and each latency runs from its scheduled send time to the last body byte.
 * `node --import tsx bench/http-load.ts BASE_URL RATE SECONDS PATH...` prints one JSON line.
 */
export interface LoadResult { requests: number; errors: number; perPath: Record<string, number[]> }

export async function openLoop(base: string, rate: number, seconds: number, paths: string[]): Promise<LoadResult> {
  const perPath: Record<string, number[]> = Object.fromEntries(paths.map((p) => [p, []]));
  let errors = 0;
  const total = Math.round(rate * seconds);
  const t0 = performance.now() + 50;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const scheduled = t0 + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const path = paths[i % paths.length]!;
    inFlight.push(fetch(base + path).then(async (res) => {
      await res.arrayBuffer();
      if (!res.ok) errors++;
      else perPath[path]!.push(performance.now() - scheduled);
    }, () => { errors++; }));
  }
  await Promise.all(inFlight);
  return { requests: total, errors, perPath };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [base, rate, seconds, ...paths] = process.argv.slice(2);
  // one warm-up request per path (connection set-up, first-query planning) outside the figures
  for (const p of paths) await fetch(base + p).then((r) => r.arrayBuffer());
  process.stdout.write(`${JSON.stringify(await openLoop(base!, Number(rate), Number(seconds), paths))}\n`);
}
