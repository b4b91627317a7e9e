/**
 * The wallet page: reads a scanned kiosk link from the URL fragment, checks in or out,
 * lists the check-ins (opened from the vault in memory only), fetches proofs once anchored,
 * and checks the region's exposure reports against the check-ins on the phone.
 */
import { isWaymarkError } from '../../core/errors.js';
import { describeMatch, type ExposureMatch } from '../../beacon/visitor/exposure.js';
import { assessStay } from '../../risk/presets.js';
import { SHARED_CHECKINS_FORMAT, sealShare, type SharedCheckins } from '../../beacon/visitor/share.js';
import { WalletDb } from './db.js';
import { Vault, type OpenedCheckin } from './vault.js';
import { checkInAt, checkOut, fetchAnchoredProof, openVisitAt, readScannedLink, type ScannedKiosk } from './visits.js';
import { checkExposures, type ReportCache } from './exposures.js';

interface Settings {
  rpcUrl?: string;
}

/** How often the open page retries proofs and re-checks exposures, ms. */
const PROOF_RETRY_MS = 20_000;
const EXPOSURE_RECHECK_MS = 15 * 60_000;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const nowS = () => Math.floor(Date.now() / 1000);
const when = (t: number) => new Date(t * 1000).toLocaleString();
const message = (err: unknown) => (isWaymarkError(err) ? `${err.message} (${err.code})` : (err as Error)?.message ?? String(err));

let db: WalletDb;
let vault: Vault;
let settings: Settings = {};
let checkins: OpenedCheckin[] = [];
let scan: ScannedKiosk | undefined;
let matches: ExposureMatch[] | undefined;
let busy = false;

function status(text: string, kind: '' | 'ok' | 'bad' = ''): void {
  const el = $('status');
  el.textContent = text;
  el.className = kind;
}

function el(tag: string, text?: string, attrs: Record<string, string> = {}): HTMLElement {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

async function reload(): Promise<void> {
  const { checkins: list, unreadable, deleted } = await vault.list(nowS());
  checkins = list;
  if (unreadable) status(`${unreadable} stored check-in(s) do not open with this phone's key and were skipped.`, 'bad');
  if (deleted) console.info(`deleted ${deleted} check-in(s) past 14 days`);
}

function render(): void {
  const list = $('checkins');
  list.replaceChildren();
  for (const { entry, place } of checkins) {
    const m = entry.attestation.typedData.message;
    const li = el('li', undefined, { 'data-venue': String(m.venueId), 'data-proof': entry.proof ? 'kept' : 'pending', 'data-checked-out': entry.checkoutTime ? 'yes' : 'no' });
    li.append(el('strong', `Venue ${m.venueId} · ${place.geohash}`), el('br'));
    const stay = entry.checkoutTime ? `${when(place.time)} → ${when(entry.checkoutTime)} (checked out)` : `${when(place.time)}`;
    li.append(el('span', stay), el('br'));
    li.append(el('small', entry.proof ? `anchored in batch ${entry.proof.seq} · proof kept` : 'proof: waiting for the kiosk to anchor its batch'));
    list.append(li);
  }
  $('no-checkins').hidden = checkins.length > 0;

  const section = $('scan');
  section.hidden = !scan;
  if (scan) {
    const open = openVisitAt(checkins.map((c) => c.entry), scan, nowS());
    $('scan-what').textContent = open
      ? `You are checked in here since ${when(open.attestation.typedData.message.time)}. Leaving? Check out.`
      : `Check in at the kiosk at ${new URL(scan.kioskUrl).host} (kiosk ${scan.kiosk.slice(0, 10)}…)`;
    $('checkout').hidden = !open;
    $('checkin').textContent = open ? 'Check in again' : 'Check in';
    $('checkin').className = open ? 'secondary' : '';
  }

  const ex = $('exposures');
  ex.replaceChildren();
  for (const m of matches ?? []) {
    const li = el('li', undefined, { class: 'card warn', 'data-testid': 'exposure-warning', 'data-venue': String(m.venueId), 'data-departure': m.departure });
    li.append(el('strong', `Possible exposure: venue ${m.venueId} (${m.geohash})`), el('p', describeMatch(m)));
    li.append(el('small', `overlap ${Math.max(1, Math.round(m.overlapS / 60))} min · your departure from: ${m.departure} · reported in tx ${m.report.txHash?.slice(0, 12) ?? '?'}…`));
    const risk = assessStay({ overlapS: m.overlapS });
    li.append(el('p', `Risk: ${risk.level} — ${risk.reason}`));
    ex.append(li);
  }
}

function readScan(): void {
  try {
    scan = readScannedLink(location.href);
  } catch (err) {
    scan = undefined;
    status(`This link is not a valid kiosk QR code: ${message(err)}`, 'bad');
  }
}

async function onCheckin(): Promise<void> {
  if (!scan || busy) return;
  busy = true;
  $<HTMLButtonElement>('checkin').disabled = true;
  status('Checking in…');
  try {
    const entry = await checkInAt(scan);
    await vault.put(entry);
    const m = entry.attestation.typedData.message;
    doneWithScan();
    await reload();
    status(`Checked in at venue ${m.venueId} (${m.geohash}), ${when(m.time)}. The kiosk's signature is verified and kept on this phone.`, 'ok');
    void fetchProofs();
  } catch (err) {
    status(`Check-in failed: ${message(err)}`, 'bad');
  } finally {
    busy = false;
    $<HTMLButtonElement>('checkin').disabled = false;
    render();
  }
}

async function onCheckout(): Promise<void> {
  if (!scan || busy) return;
  const open = openVisitAt(checkins.map((c) => c.entry), scan, nowS());
  if (!open) return;
  const closed = checkOut(open, scan, nowS());
  await vault.put(closed);
  doneWithScan();
  await reload();
  status(`Checked out at ${when(closed.checkoutTime!)}. Only this phone knows.`, 'ok');
  render();
  if (matches) void runExposureCheck();
}

/** The link's kiosk and token have been used: drop them from the address so a reload does nothing. */
function doneWithScan(): void {
  scan = undefined;
  history.replaceState(null, '', location.pathname + location.search);
}

async function fetchProofs(): Promise<void> {
  let kept = 0;
  for (const { entry } of checkins.filter((c) => !c.entry.proof)) {
    try {
      const anchored = await fetchAnchoredProof(entry);
      if (anchored) {
        await vault.put(anchored);
        kept++;
      }
    } catch (err) {
      // the kiosk is out of reach (off the venue network) or its proof does not verify; retried later
      console.warn(`proof of ${entry.attestation.id}: ${message(err)}`);
    }
  }
  if (kept) {
    await reload();
    render();
  }
}

async function runExposureCheck(): Promise<void> {
  const summary = $('exposure-summary');
  if (!settings.rpcUrl) {
    summary.textContent = 'Set a chain endpoint below to check for exposures.';
    return;
  }
  const entries = checkins.map((c) => c.entry);
  if (entries.length === 0) {
    matches = [];
    summary.textContent = 'No check-ins to check.';
    render();
    return;
  }
  summary.textContent = 'Checking…';
  const cache = await db.get<ReportCache>('meta', 'reports');
  const result = await checkExposures(entries, settings.rpcUrl, cache, nowS());
  await db.put('meta', result.cache, 'reports');
  matches = result.matches;
  const checked = `${result.reports} report(s) in the region checked against ${entries.length} check-in(s) on this phone, ${new Date().toLocaleTimeString()}`;
  summary.textContent = (matches.length ? `${matches.length} possible exposure(s). ` : 'No exposure found. ') + checked
    + (result.errors.length ? ` — offline or unreachable, used the reports kept from before: ${result.errors.join('; ')}` : '');
  summary.className = matches.length ? 'bad' : result.errors.length ? 'muted' : 'ok';
  summary.dataset.state = result.errors.length ? 'stale' : 'checked';
  render();
}

async function onSaveRpc(): Promise<void> {
  const value = $<HTMLInputElement>('rpc').value.trim();
  if (value && !/^https?:\/\//.test(value)) {
    status('The chain endpoint must be an http(s) URL.', 'bad');
    return;
  }
  settings = { ...settings, rpcUrl: value || undefined };
  await db.put('meta', settings, 'settings');
  status(value ? 'Chain endpoint saved.' : 'Chain endpoint cleared.', 'ok');
  await runExposureCheck();
}

async function onExport(): Promise<void> {
  const withProofs = checkins.filter((c) => c.entry.proof);
  const share: SharedCheckins = {
    format: SHARED_CHECKINS_FORMAT,
    createdAt: nowS(),
    records: withProofs.map(({ entry }) => ({ attestation: entry.attestation, proof: entry.proof!, ...(entry.checkoutTime ? { checkoutTime: entry.checkoutTime } : {}) })),
  };
  const key = $<HTMLInputElement>('authority-key').value.trim();
  try {
    const doc = key ? await sealShare(share, key.replace(/^0x/, '')) : share;
    const a = el('a', undefined, { download: 'waymark-shared-checkins.json' }) as HTMLAnchorElement;
    a.href = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
    a.click();
    const left = checkins.length - withProofs.length;
    status(`${withProofs.length} check-in(s) with proofs saved${key ? ', sealed to the authority' : ''}${left ? `; ${left} without a proof yet left out` : ''}.`, 'ok');
  } catch (err) {
    status(`Could not save the file: ${message(err)}`, 'bad');
  }
}

/** The host's defaults: `config.json` beside the page (`{ "rpcUrl": … }`), until the visitor saves their own. */
async function hostDefaults(): Promise<Settings> {
  try {
    const res = await fetch('config.json');
    const doc = res.ok ? ((await res.json()) as { rpcUrl?: unknown }) : {};
    return typeof doc.rpcUrl === 'string' && /^https?:\/\//.test(doc.rpcUrl) ? { rpcUrl: doc.rpcUrl } : {};
  } catch {
    return {};
  }
}

async function registerServiceWorker(): Promise<void> {
  if (!('serviceWorker' in navigator) || !isSecureContext) return;
  try {
    await navigator.serviceWorker.register('sw.js', { scope: './' });
  } catch (err) {
    console.warn(`no offline support: ${message(err)}`);
  }
}

async function start(): Promise<void> {
  void registerServiceWorker();
  if (!globalThis.crypto?.subtle || !('indexedDB' in globalThis)) {
    status('This browser cannot keep a wallet here: open it over https (Web Crypto and IndexedDB need a secure context).', 'bad');
    return;
  }
  db = await WalletDb.open();
  vault = await Vault.open(db);
  settings = (await db.get<Settings>('meta', 'settings')) ?? (await hostDefaults());
  $<HTMLInputElement>('rpc').value = settings.rpcUrl ?? '';
  readScan();
  await reload();
  render();
  $('checkin').addEventListener('click', () => void onCheckin());
  $('checkout').addEventListener('click', () => void onCheckout());
  $('save-rpc').addEventListener('click', () => void onSaveRpc());
  $('check-exposures').addEventListener('click', () => void runExposureCheck());
  $('export').addEventListener('click', () => void onExport());
  addEventListener('hashchange', () => {
    readScan();
    render();
  });
  addEventListener('online', () => {
    void fetchProofs();
    void runExposureCheck();
  });
  document.body.dataset.ready = 'true';
  void fetchProofs();
  void runExposureCheck();
  setInterval(() => void fetchProofs(), PROOF_RETRY_MS);
  setInterval(() => void runExposureCheck(), EXPOSURE_RECHECK_MS);
  // a page left open still forgets check-ins when they turn 14 days old
  setInterval(() => void reload().then(render), 3600_000);
}

start().catch((err) => status(`The wallet could not start: ${message(err)}`, 'bad'));
