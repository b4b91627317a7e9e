import t from 'tap';
import { SimRandom, seedFrom } from '../../../sim/rng.js';

const N = 100_000;

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
function sd(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

t.test('the same seed gives the same sequence, a different seed another', async (t) => {
  const draw = (r: SimRandom) => [r.uint32(), r.next(), r.normal(), r.exponential(2), r.int(0, 9), r.pick(['a', 'b', 'c']), ...r.bytes(5)];
  t.same(draw(new SimRandom(42)), draw(new SimRandom(42)));
  t.same(draw(new SimRandom('venue-a')), draw(new SimRandom('venue-a')));
  t.notSame(draw(new SimRandom(42)), draw(new SimRandom(43)));
  t.notSame(draw(new SimRandom(1)), draw(new SimRandom('1')), 'number and string seeds are distinct');
  t.equal(seedFrom('x'), seedFrom('x'));
});

t.test('golden values pin the generator (xoshiro128** seeded by splitmix32 of FNV-1a)', async (t) => {
  const r = new SimRandom('waymark');
  t.same([r.uint32(), r.uint32(), r.uint32(), r.uint32()], [0x9b8326f2, 0x58163ecc, 0xe340f00a, 0x6e83cf5e]);
  const r1 = new SimRandom(1);
  t.same([r1.uint32(), r1.uint32()], [0x326547c9, 0xa45644d7]);
});

t.test('uniform and next stay in range with the right mean', async (t) => {
  const r = new SimRandom(3);
  const xs = Array.from({ length: N }, () => r.uniform(-2, 6));
  t.ok(xs.every((x) => x >= -2 && x < 6));
  t.ok(Math.abs(mean(xs) - 2) < 0.05, `mean ${mean(xs)}`);
  const ys = Array.from({ length: N }, () => r.next());
  t.ok(ys.every((y) => y >= 0 && y < 1));
});

t.test('int covers both ends evenly and rejects bad bounds', async (t) => {
  const r = new SimRandom(4);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60_000; i++) counts[r.int(0, 5)]++;
  for (const c of counts) t.ok(Math.abs(c - 10_000) < 500, `count ${c}`);
  t.equal(r.int(7, 7), 7);
  t.throws(() => r.int(3, 2), RangeError);
  t.throws(() => r.int(0.5, 2), RangeError);
});

t.test('exponential has mean 1/rate and rejects rate <= 0', async (t) => {
  const r = new SimRandom(5);
  const xs = Array.from({ length: N }, () => r.exponential(4));
  t.ok(xs.every((x) => x >= 0 && Number.isFinite(x)));
  t.ok(Math.abs(mean(xs) - 0.25) < 0.005, `mean ${mean(xs)}`);
  t.throws(() => r.exponential(0), RangeError);
});

t.test('normal has the requested mean and standard deviation', async (t) => {
  const r = new SimRandom(6);
  const xs = Array.from({ length: N }, () => r.normal(-59, 4));
  t.ok(Math.abs(mean(xs) + 59) < 0.05, `mean ${mean(xs)}`);
  t.ok(Math.abs(sd(xs) - 4) < 0.05, `sd ${sd(xs)}`);
  const within1 = xs.filter((x) => Math.abs(x + 59) < 4).length / N;
  t.ok(Math.abs(within1 - 0.6827) < 0.01, `within one sd ${within1}`);
});

t.test('lognormal has median exp(mu)', async (t) => {
  const r = new SimRandom(7);
  const xs = Array.from({ length: N }, () => r.lognormal(Math.log(30), 0.8));
  t.ok(xs.every((x) => x > 0));
  t.ok(Math.abs(median(xs) - 30) < 0.8, `median ${median(xs)}`);
});

t.test('pick, pickWeighted, chance and bytes', async (t) => {
  const r = new SimRandom(8);
  const seen = new Set(Array.from({ length: 1000 }, () => r.pick(['a', 'b', 'c'])));
  t.same([...seen].sort(), ['a', 'b', 'c']);
  t.throws(() => r.pick([]), RangeError);
  let heavy = 0;
  for (let i = 0; i < 20_000; i++) if (r.pickWeighted([['x', 1], ['y', 3]] as const) === 'y') heavy++;
  t.ok(Math.abs(heavy / 20_000 - 0.75) < 0.02, `share ${heavy / 20_000}`);
  let yes = 0;
  for (let i = 0; i < 20_000; i++) if (r.chance(0.1)) yes++;
  t.ok(Math.abs(yes / 20_000 - 0.1) < 0.01);
  const b = r.bytes(7);
  t.equal(b.length, 7);
  t.ok(b instanceof Uint8Array);
  const all = r.bytes(40_000);
  t.ok(Math.abs(mean(Array.from(all)) - 127.5) < 2);
});

t.test('fork gives deterministic, independent streams', async (t) => {
  const a = new SimRandom(9).fork('phone-1');
  const b = new SimRandom(9).fork('phone-1');
  t.same([a.uint32(), a.uint32()], [b.uint32(), b.uint32()]);
  const root = new SimRandom(9);
  const f1 = root.fork(1);
  const f2 = root.fork(1);
  t.not(f1.uint32(), f2.uint32(), 'successive forks differ even with the same label');
});
