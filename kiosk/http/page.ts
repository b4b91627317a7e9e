/**
 * The kiosk screen: one self-contained HTML page (no external assets; the kiosk may
 * be offline) showing the venue, live occupancy and health, readable at 3 m on a
 * 7-inch screen. It polls the JSON API every two seconds. While the registry has the venue
 * Infected (`venue.status` in /v1/status) a banner above everything says what happened,
 * what visitors should do, and until when; while the count is above the venue's capacity
 * policy (`venue.capacity`) a "Venue full" banner asks visitors to wait.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function kioskPage(opts: { venueName: string }): string {
  const name = escapeHtml(opts.venueName);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name} · Waymark</title>
<style>
  :root { color-scheme: dark; --fg: #f5f5f5; --dim: #a0a0a0; --ok: #3ddc84; --bad: #ff5c5c; --warn: #ffb020; --bg: #101418; --card: #1b2229; }
  * { box-sizing: border-box; }
  body { margin: 0; font-family: system-ui, sans-serif; background: var(--bg); color: var(--fg); min-height: 100vh; display: flex; flex-direction: column; }
  header { padding: 2.5vh 4vw 1vh; }
  h1 { margin: 0; font-size: clamp(28px, 7vw, 72px); line-height: 1.1; }
  .sub { color: var(--dim); font-size: clamp(16px, 2.6vw, 28px); margin-top: .4em; }
  main { flex: 1; display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 2vw; padding: 2vh 4vw; }
  .card { background: var(--card); border-radius: 16px; padding: 2vh 2vw; }
  .label { color: var(--dim); font-size: clamp(16px, 2.4vw, 26px); text-transform: uppercase; letter-spacing: .05em; }
  .big { font-size: clamp(64px, 16vw, 180px); font-weight: 700; line-height: 1; margin-top: .1em; font-variant-numeric: tabular-nums; }
  .row { display: flex; justify-content: space-between; gap: 1em; font-size: clamp(18px, 2.8vw, 30px); padding: .35em 0; border-bottom: 1px solid #2a333c; }
  .row:last-child { border-bottom: 0; }
  .row span:last-child { text-align: right; }
  .ok { color: var(--ok); } .bad { color: var(--bad); }
  footer { color: var(--dim); padding: 1vh 4vw 2vh; font-size: clamp(14px, 2vw, 20px); }
  .qr { display: flex; justify-content: center; margin: .5em 0; min-height: 120px; align-items: center; font-size: clamp(18px, 2.8vw, 30px); text-align: center; }
  .qr svg { width: 100%; max-width: 38vh; height: auto; background: #fff; border-radius: 8px; }
  #banner { display: none; background: var(--bad); color: #000; font-weight: 700; padding: 1.5vh 4vw; font-size: clamp(18px, 3vw, 32px); }
  #exposure { display: none; background: var(--warn); color: #000; padding: 2vh 4vw; border-bottom: 6px solid #000; }
  #exposure h2 { margin: 0 0 .25em; font-size: clamp(26px, 5vw, 52px); line-height: 1.1; }
  #exposure p { margin: .3em 0; font-size: clamp(17px, 2.7vw, 30px); line-height: 1.3; }
  #exposure .when { font-weight: 700; }
  #exposure .stale { font-size: clamp(14px, 2vw, 20px); }
  #full { display: none; background: var(--bad); color: #000; padding: 2vh 4vw; border-bottom: 6px solid #000; }
  #full h2 { margin: 0 0 .25em; font-size: clamp(26px, 5vw, 52px); line-height: 1.1; }
  #full p { margin: .3em 0; font-size: clamp(17px, 2.7vw, 30px); line-height: 1.3; }
</style>
</head>
<body>
<div id="banner" role="alert"></div>
<section id="exposure" role="alert" aria-labelledby="exposure-title" data-testid="exposure-banner">
  <h2 id="exposure-title">Exposure reported at this venue</h2>
  <p class="when" id="exposure-when" data-testid="exposure-when"></p>
  <p>If you were here then: watch for symptoms, get tested if you have any, and follow your health authority's advice. Check your Waymark wallet: it tells you whether your visit matches.</p>
  <p id="exposure-until" data-testid="exposure-until"></p>
  <p class="stale" id="exposure-stale"></p>
</section>
<section id="full" role="alert" aria-labelledby="full-title" data-testid="full-banner">
  <h2 id="full-title">Venue full</h2>
  <p id="full-detail" data-testid="full-detail"></p>
</section>
<header>
  <h1 id="venue">${name}</h1>
  <div class="sub" id="where">Waymark kiosk</div>
</header>
<main>
  <section class="card" aria-labelledby="occ-label">
    <div class="label" id="occ-label">People here now</div>
    <div class="big" id="occupancy" data-testid="occupancy">–</div>
    <div class="row"><span>Capacity</span><span id="capacity" data-testid="capacity">–</span></div>
    <div class="row"><span>Peak</span><span id="peak">–</span></div>
    <div class="row"><span>Devices nearby</span><span id="open">–</span></div>
    <div class="row"><span>Visitors today</span><span id="visitors-today" data-testid="visitors-today">–</span></div>
  </section>
  <section class="card" aria-labelledby="health-label">
    <div class="label" id="health-label">Kiosk health</div>
    <div class="row"><span>Radio</span><span id="radio" data-testid="radio">–</span></div>
    <div class="row"><span>Storage</span><span id="store">–</span></div>
    <div class="row"><span>Clock</span><span id="clock">–</span></div>
    <div class="row"><span>Chain</span><span id="chain" data-testid="chain">–</span></div>
    <div class="row"><span>Reports heard</span><span id="reports">–</span></div>
  </section>
  <section class="card" aria-labelledby="checkin-label" id="checkin-card" data-testid="checkin-card">
    <div class="label" id="checkin-label">Scan to check in</div>
    <div class="qr" id="qr" data-testid="checkin-qr">–</div>
    <div class="row"><span>Check-ins</span><span id="checkins" data-testid="checkins">–</span></div>
    <div class="row"><span>Last batch</span><span id="last-batch" data-testid="last-batch">–</span></div>
  </section>
</main>
<footer>No Bluetooth address is stored: devices are counted under daily-salted hashes, deleted after <span id="retention">14</span> days.</footer>
<script>
const $ = (id) => document.getElementById(id);
function set(id, text, ok) { const el = $(id); el.textContent = text; if (ok !== undefined) el.className = ok ? 'ok' : 'bad'; }
const dayFmt = { weekday: 'short', day: 'numeric', month: 'short' };
const timeFmt = { hour: '2-digit', minute: '2-digit' };
function at(s) { const d = new Date(s * 1000); return d.toLocaleDateString([], dayFmt) + ' ' + d.toLocaleTimeString([], timeFmt); }
// the end of a same-day window is shown as a time only
function between(from, to) {
  const a = new Date(from * 1000), b = new Date(to * 1000);
  return at(from) + ' and ' + (a.toDateString() === b.toDateString() ? b.toLocaleTimeString([], timeFmt) : at(to));
}
function showExposure(vs) {
  const infected = !!vs && vs.state === 'Infected';
  $('exposure').style.display = infected ? 'block' : 'none';
  if (!infected) return;
  set('exposure-when', vs.exposure ? 'An infected visitor was here between ' + between(vs.exposure.from, vs.exposure.to) + '.' : 'An infected visitor was here recently.');
  set('exposure-until', vs.until ? 'This notice stays until ' + at(vs.until) + ', or until the venue has been cleaned.' : '');
  set('exposure-stale', vs.stale ? 'Last confirmed ' + (vs.checkedAt ? at(vs.checkedAt) : 'earlier') + '; the kiosk cannot reach the chain right now.' : '');
}
function showCapacity(cap) {
  const full = !!cap && cap.full;
  $('full').style.display = full ? 'block' : 'none';
  set('capacity', cap && cap.capacity !== null ? String(cap.capacity) + (full ? ' · full' : '') : '–');
  if (!full) return;
  set('full-detail', cap.occupancy + ' people inside for ' + cap.capacity + ' places' + (cap.overSince ? ', since ' + at(cap.overSince) : '') + '. Please wait outside until someone leaves.'
    + (cap.reported ? ' Reported to the health authority.' : ''));
}
async function refresh() {
  try {
    const [status, occ] = await Promise.all([fetch('/v1/status').then((r) => r.json()), fetch('/v1/occupancy').then((r) => r.json())]);
    // first: nothing below may keep the exposure banner from showing
    showExposure(status.venue && status.venue.status);
    showCapacity(status.venue && status.venue.capacity);
    set('venue', status.venue.name);
    set('where', 'Geohash ' + status.venue.geohash);
    set('occupancy', String(occ.now));
    set('peak', String(occ.peak));
    set('open', String(occ.openSessions));
    set('visitors-today', occ.visits ? String(occ.visits.visitorsToday) : '–');
    // 'noble/hci-socket(virtual hci0)' -> 'virtual hci0'; the full name is in the tooltip
    const full = String(status.radio.adapter);
    const open = full.lastIndexOf('(');
    const adapter = open >= 0 && full.endsWith(')') ? full.slice(open + 1, -1) : full;
    set('radio', status.radio.state === 'poweredOn' ? 'on · ' + adapter : status.radio.state, status.radio.state === 'poweredOn');
    $('radio').title = status.radio.adapter;
    set('store', status.store.ok ? 'ok' : 'failing', status.store.ok);
    const ci = status.checkin;
    set('clock', status.clock.synced ? 'synced (' + status.clock.source + ')' : 'NOT synced', status.clock.synced);
    const chain = ci && ci.chain;
    const anchor = status.chain && status.chain.batches ? status.chain : null;
    set('chain', chain ? (chain.ok ? 'ok · block ' + new Date(chain.blockTime * 1000).toISOString().slice(11, 19) : 'unreachable')
      : anchor ? 'anchoring · ' + anchor.batches.confirmed + ' confirmed' : 'not connected', chain ? chain.ok : anchor ? !anchor.sender.lastError : undefined);
    set('checkins', ci ? ci.attestations.total.toLocaleString() : '–');
    const lb = anchor && anchor.batches.lastConfirmed;
    set('last-batch', lb ? '#' + lb.seq + ' · ' + String(lb.txHash).slice(0, 10) + '…' : 'none yet');
    set('reports', status.sightings.reports.toLocaleString());
    set('retention', String(status.retention.days));
    const problems = [];
    if (!status.clock.synced) problems.push('Clock not synchronized: check-ins are paused.');
    if (!status.store.ok) problems.push('Storage failing: ' + status.store.lastError);
    $('banner').textContent = problems.join(' ');
    $('banner').style.display = problems.length ? 'block' : 'none';
  } catch (err) {
    $('banner').textContent = 'Kiosk service unreachable';
    $('banner').style.display = 'block';
  }
}
let shownToken = '';
async function refreshQr() {
  try {
    const res = await fetch('/v1/checkin-token');
    if (res.status === 404) { $('checkin-card').style.display = 'none'; return; }
    const body = await res.json();
    if (res.status !== 200) { shownToken = ''; set('qr', body.error && body.error.code === 'WAYMARK_ERR_CLOCK_UNSYNCED' ? 'Check-in paused: clock not synchronized' : 'Check-in unavailable'); return; }
    if (!body.qrSvg) { shownToken = ''; set('qr', 'Tap your phone here to check in'); return; }
    if (body.token !== shownToken) { shownToken = body.token; $('qr').innerHTML = body.qrSvg; $('qr').dataset.token = body.token; }
  } catch (err) {
    shownToken = '';
    set('qr', 'Check-in unavailable');
  }
}
refresh();
refreshQr();
setInterval(refresh, 2000);
setInterval(refreshQr, 2000);
</script>
</body>
</html>
`;
}
