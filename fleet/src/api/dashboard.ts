/**
 * The fleet dashboard: one static page that reads the JSON API (/v1/fleet, /v1/exposures,
 * /v1/batches/hourly) and refreshes itself; venues above capacity show FULL. No build step, no external assets.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Waymark fleet</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:1.5rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}
.Infected{background:#fdd}.Clean{background:#dfd}.Empty{background:#eee}.silent{color:#b00;font-weight:bold}.full{color:#b00;font-weight:bold}
.bar{display:inline-block;background:#48c;height:.8rem}
</style></head>
<body>
<h1>Waymark fleet</h1>
<p id="totals" data-testid="totals">loading…</p>
<h2>Regions and venues</h2><div id="regions" data-testid="regions"></div>
<h2>Exposures</h2><table id="exposures" data-testid="exposures"><thead><tr><th>venue</th><th>cell</th><th>window</th><th>expires</th><th>reported</th></tr></thead><tbody></tbody></table>
<h2>Batches per hour</h2><table id="hourly" data-testid="hourly"><tbody></tbody></table>
<script>
const t = (s) => s == null ? '–' : new Date(s * 1000).toISOString().replace('T', ' ').slice(0, 19);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
async function refresh() {
  const [fleet, exp, hourly] = await Promise.all(['/v1/fleet', '/v1/exposures?since=0', '/v1/batches/hourly'].map((u) => fetch(u).then((r) => r.json())));
  const tot = fleet.totals;
  document.getElementById('totals').textContent = tot.regions + ' regions, ' + tot.venues + ' venues, ' + tot.kiosks + ' kiosks, ' + tot.silent + ' silent (> ' + fleet.silentAfter + ' × ' + fleet.batchIntervalS + ' s), ' + tot.full + ' full';
  document.getElementById('regions').innerHTML = fleet.regions.map((r) =>
    '<h3>' + esc(r.prefix) + ' <small>' + esc(r.authority) + '</small></h3><table><thead><tr><th>venue</th><th>cell</th><th>status</th><th>until</th><th>capacity</th><th>kiosks (last batch, lag)</th></tr></thead><tbody>' +
    r.venues.map((v) => '<tr class="venue ' + v.status + '" data-venue="' + v.id + '"><td>' + v.id + '</td><td>' + esc(v.geohash) + '</td><td class="status">' + v.status + '</td><td>' + t(v.until) + '</td><td class="capacity' + (v.capacity && v.capacity.full ? ' full' : '') + '">' + (v.capacity ? v.capacity.capacity + (v.capacity.full ? ' FULL since ' + t(v.capacity.since) + ' (' + v.capacity.occupancy + ')' : '') : '–') + '</td><td>' +
      v.kiosks.map((k) => '<div class="kiosk' + (k.silent ? ' silent' : '') + '" data-kiosk="' + esc(k.address) + '">' + esc(k.address.slice(0, 10)) + '… #' + (k.lastBatchSeq ?? '–') + ' at ' + t(k.lastBatchAt) + ', lag ' + k.lagS + ' s' + (k.beaconId ? ', beacon ' + esc(k.beaconId) : '') + (k.silent ? ' SILENT' : '') + '</div>').join('') +
    '</td></tr>').join('') + '</tbody></table>').join('');
  document.querySelector('#exposures tbody').innerHTML = exp.exposures.map((e) => '<tr class="exposure"><td>' + e.venueId + '</td><td>' + esc(e.geohash) + '</td><td>' + t(e.fromTime) + ' – ' + t(e.toTime) + '</td><td>' + t(e.expiresAt) + '</td><td>' + t(e.reportedAt) + '</td></tr>').join('');
  const max = Math.max(1, ...hourly.hours.map((h) => h.batches));
  document.querySelector('#hourly tbody').innerHTML = hourly.hours.map((h) => '<tr class="hour"><td>' + t(h.hour) + '</td><td>' + h.batches + '</td><td><span class="bar" style="width:' + Math.round(200 * h.batches / max) + 'px"></span></td></tr>').join('');
  document.body.dataset.loaded = 'true';
}
refresh().catch((e) => { document.getElementById('totals').textContent = 'error: ' + e; });
setInterval(() => refresh().catch(() => {}), 5000);
</script>
</body></html>
`;
