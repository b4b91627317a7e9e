/**
 * The fleet's HTTP surface, served by Ponder next to its GraphQL: the dashboard page, the
 * fleet overview, batches per hour, and /v1/exposures, the feed visitor wallets poll
 * (cacheable by a CDN). Routes only validate and shape; the data is Ponder's tables.
 */
import { Hono } from 'hono';
import { db } from 'ponder:api';
import schema from 'ponder:schema';
import { and, asc, desc, gte, like, graphql } from 'ponder';
import { fleetSettings } from '../../settings';
import { inRegion, kioskView, venueStatus } from './views';
import { DASHBOARD_HTML } from './dashboard';

const settings = fleetSettings();
const app = new Hono();

/** Exposures change rarely and every wallet polls them: let a CDN absorb the load. */
export const EXPOSURE_CACHE_CONTROL = 'public, max-age=30, s-maxage=60, stale-while-revalidate=300';

const nowS = (): bigint => BigInt(Math.floor(Date.now() / 1000));
const REGION = /^[0-9bcdefghjkmnpqrstuvwxyz]{1,9}$/;

app.use('/graphql', graphql({ db, schema }));

app.get('/', (c) => c.html(DASHBOARD_HTML));

app.get('/v1/fleet', async (c) => {
  const interval = Number(c.req.query('interval') ?? settings.batchIntervalS);
  const silentAfter = Number(c.req.query('silentAfter') ?? settings.silentAfter);
  if (!(interval > 0) || !(silentAfter > 0)) return c.json({ error: 'interval and silentAfter must be positive numbers' }, 400);
  const [regions, venues, kiosks] = await Promise.all([
    db.select().from(schema.region).orderBy(asc(schema.region.prefix)),
    db.select().from(schema.venue).orderBy(asc(schema.venue.id)),
    db.select().from(schema.kiosk),
  ]);
  const now = nowS();
  const byVenue = new Map<bigint, ReturnType<typeof kioskView>[]>();
  for (const k of kiosks) {
    const list = byVenue.get(k.venueId) ?? [];
    list.push(kioskView(k, now, interval, silentAfter));
    byVenue.set(k.venueId, list);
  }
  const venueViews = venues.map((v) => ({
    id: Number(v.id), geohash: v.geohash, region: v.region, operator: v.operator,
    ...venueStatus(v, now), kiosks: byVenue.get(v.id) ?? [],
  }));
  const allKiosks = [...byVenue.values()].flat();
  return c.json({
    now: Number(now), batchIntervalS: interval, silentAfter,
    totals: { regions: regions.length, venues: venues.length, kiosks: allKiosks.length, silent: allKiosks.filter((k) => k.silent).length },
    regions: regions.map((r) => ({
      prefix: r.prefix, authority: r.authority,
      venues: venueViews.filter((v) => v.region === r.prefix),
    })),
  });
});

app.get('/v1/batches/hourly', async (c) => {
  const hours = Number(c.req.query('hours') ?? 24);
  if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 90) return c.json({ error: 'hours must be an integer 1..2160' }, 400);
  const rows = await db.select().from(schema.batchHour).orderBy(desc(schema.batchHour.hour)).limit(hours);
  return c.json({ hours: rows.reverse().map((r) => ({ hour: Number(r.hour), batches: r.batches, records: Number(r.records) })) });
});

app.get('/v1/exposures', async (c) => {
  const region = c.req.query('region');
  const sinceRaw = c.req.query('since') ?? '0';
  if (region !== undefined && !REGION.test(region)) return c.json({ error: 'region must be a geohash prefix' }, 400);
  if (!/^\d{1,12}$/.test(sinceRaw)) return c.json({ error: 'since must be unix seconds' }, 400);
  const since = BigInt(sinceRaw);
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

export default app;
