/**
 * The fleet's HTTP surface, served by Ponder next to its GraphQL: the dashboard page, the
 * fleet overview, batches per hour, and /v1/exposures, the feed visitor wallets poll
 * (cacheable by a CDN). Routes only validate and shape; the data is Ponder's tables.
 */
import { Hono, type Context } from 'hono';
import { db } from 'ponder:api';
import schema from 'ponder:schema';
import { and, asc, desc, gte, like, graphql } from 'ponder';
import { fleetSettings } from '../../settings';
import { capacityView, inRegion, kioskView, venueStatus } from './views';
import { DASHBOARD_HTML } from './dashboard';

const settings = fleetSettings();
const app = new Hono();

/** Exposures change rarely and every wallet polls them: let a CDN absorb the load. */
export const EXPOSURE_CACHE_CONTROL = 'public, max-age=30, s-maxage=60, stale-while-revalidate=300';

const nowS = (): bigint => BigInt(Math.floor(Date.now() / 1000));
/** Bad query parameters answer like every Waymark surface: 400 with a named code. */
const badRequest = (c: Context, message: string) => c.json({ error: { code: 'WAYMARK_ERR_BAD_REQUEST', message } }, 400);
const REGION = /^[0-9bcdefghjkmnpqrstuvwxyz]{1,9}$/;

/** A feed's `region` (a geohash prefix, optional) and `since` (Unix s, default 0), or what is wrong. */
function feedQuery(c: Context): { region: string | undefined; since: bigint } | string {
  const region = c.req.query('region');
  const since = c.req.query('since') ?? '0';
  if (region !== undefined && !REGION.test(region)) return 'region must be a geohash prefix';
  if (!/^\d{1,12}$/.test(since)) return 'since must be unix seconds';
  return { region, since: BigInt(since) };
}

app.use('/graphql', graphql({ db, schema }));

app.get('/', (c) => c.html(DASHBOARD_HTML));

/**
 * /v1/fleet reads every region, venue and kiosk (a few thousand rows, never the batch table)
 * and is computed at most once per FLEET_CACHE_MS per (interval, silentAfter): concurrent
 * and following requests share the result, so a body is at most that old (`now` says when).
 */
export const FLEET_CACHE_MS = 1000;
const fleetCache = new Map<string, { at: number; body: Promise<string> }>();

async function fleetOverview(interval: number, silentAfter: number): Promise<string> {
  const [regions, venues, kiosks, capacities] = await Promise.all([
    db.select().from(schema.region).orderBy(asc(schema.region.prefix)),
    db.select().from(schema.venue).orderBy(asc(schema.venue.id)),
    db.select().from(schema.kiosk),
    db.select().from(schema.venueCapacity),
  ]);
  const capacityOf = new Map(capacities.map((c) => [c.venueId, c]));
  let full = 0;
  const now = nowS();
  const byVenue = new Map<bigint, ReturnType<typeof kioskView>[]>();
  let batches = 0;
  let silent = 0;
  for (const k of kiosks) {
    const view = kioskView(k, now, interval, silentAfter);
    batches += view.batches;
    if (view.silent) silent++;
    const list = byVenue.get(k.venueId);
    if (list) list.push(view);
    else byVenue.set(k.venueId, [view]);
  }
  const byRegion = new Map<string, unknown[]>();
  for (const v of venues) {
    const view = {
      id: Number(v.id), geohash: v.geohash, region: v.region, operator: v.operator,
      ...venueStatus(v, now), capacity: capacityView(capacityOf.get(v.id)), kiosks: byVenue.get(v.id) ?? [],
    };
    if (view.capacity?.full) full++;
    const list = byRegion.get(v.region);
    if (list) list.push(view);
    else byRegion.set(v.region, [view]);
  }
  return JSON.stringify({
    now: Number(now), batchIntervalS: interval, silentAfter,
    totals: { regions: regions.length, venues: venues.length, kiosks: kiosks.length, silent, batches, full },
    regions: regions.map((r) => ({ prefix: r.prefix, authority: r.authority, venues: byRegion.get(r.prefix) ?? [] })),
  });
}

app.get('/v1/fleet', async (c) => {
  const interval = Number(c.req.query('interval') ?? settings.batchIntervalS);
  const silentAfter = Number(c.req.query('silentAfter') ?? settings.silentAfter);
  if (!(interval > 0) || !(silentAfter > 0)) return badRequest(c, 'interval and silentAfter must be positive numbers');
  const key = `${interval}/${silentAfter}`;
  let entry = fleetCache.get(key);
  if (!entry || Date.now() - entry.at >= FLEET_CACHE_MS) {
    if (fleetCache.size > 64) fleetCache.clear();
    const fresh = { at: Date.now(), body: fleetOverview(interval, silentAfter) };
    fleetCache.set(key, fresh);
    fresh.body.catch(() => { if (fleetCache.get(key) === fresh) fleetCache.delete(key); });
    entry = fresh;
  }
  return c.body(await entry.body, 200, { 'Content-Type': 'application/json' });
});

app.get('/v1/batches/hourly', async (c) => {
  const hours = Number(c.req.query('hours') ?? 24);
  if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 90) return badRequest(c, 'hours must be an integer 1..2160');
  const rows = await db.select().from(schema.batchHour).orderBy(desc(schema.batchHour.hour)).limit(hours);
  return c.json({ hours: rows.reverse().map((r) => ({ hour: Number(r.hour), batches: r.batches, records: Number(r.records) })) });
});

app.get('/v1/exposures', async (c) => {
  const q = feedQuery(c);
  if (typeof q === 'string') return badRequest(c, q);
  const { region, since } = q;
  const where = region
    ? and(gte(schema.exposure.reportedAt, since), like(schema.exposure.geohash, `${region}%`))
    : gte(schema.exposure.reportedAt, since);
  const rows = await db.select().from(schema.exposure).where(where).orderBy(asc(schema.exposure.reportedAt)).limit(5000);
  c.header('Cache-Control', EXPOSURE_CACHE_CONTROL);
  return c.json({
    region: region ?? null, since: Number(since),
    exposures: rows.filter((r) => !region || inRegion(r.geohash, region)).map((r) => ({
      venueId: Number(r.venueId), geohash: r.geohash, authority: r.authority,
      fromTime: Number(r.fromTime), toTime: Number(r.toTime), expiresAt: Number(r.expiresAt),
      reportedAt: Number(r.reportedAt), block: Number(r.block),
    })),
  });
});

/** Capacity crossings the venues' kiosks reported (block time at or after `since`), under a region. */
app.get('/v1/crowding', async (c) => {
  const q = feedQuery(c);
  if (typeof q === 'string') return badRequest(c, q);
  const { region, since } = q;
  const t = schema.capacityCrossing;
  const where = region ? and(gte(t.reportedAt, since), like(t.geohash, `${region}%`)) : gte(t.reportedAt, since);
  const rows = await db.select().from(t).where(where).orderBy(asc(t.reportedAt)).limit(5000);
  c.header('Cache-Control', EXPOSURE_CACHE_CONTROL);
  return c.json({
    region: region ?? null, since: Number(since),
    crossings: rows.filter((r) => !region || inRegion(r.geohash, region)).map((r) => ({
      venueId: Number(r.venueId), geohash: r.geohash, kiosk: r.kiosk, over: r.over, occupancy: r.occupancy, capacity: r.capacity,
      since: Number(r.since), at: Number(r.at), durationS: Number(r.at - r.since), reportedAt: Number(r.reportedAt), block: Number(r.block),
    })),
  });
});

export default app;
