/**
 * The visitor wallet in a real headless Chromium, against two demo kiosks at two venues
 * on one shared anvil chain (demo B anchors on demo A's node and registry). Both kiosks' QR links open the one wallet (kiosk A's /wallet/),
 * so one origin holds both check-ins; proofs are fetched once anchored; a check-out sets
 * the departure; an exposure report by the region authority raises the warning. Every
 * request the page sends to the chain endpoint is captured: none names a venue. Offline,
 * the service worker opens the wallet and the cached reports still warn; 14 days later the
 * check-ins are gone.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Request } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { startDemo, type DemoKiosk } from '../../sim/demo.js';
import { devWallet, setUpDevVenue } from '../../sim/dev-chain.js';
import { ANVIL_DEV_KEYS } from '../../contracts/anvil.js';
import { connectProvider, registryClient } from '../../contracts/client.js';
import { reportExposure } from '../../contracts/actions/report-exposure.js';
import { EXPOSURE_REPORTED_TOPIC } from '../../beacon/visitor/exposure-logs.js';
import { buildWallet } from '../../wallet/build.js';


function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function qrLink(kiosk: DemoKiosk): Promise<string> {
  const res = await fetch(new URL('v1/checkin-token', kiosk.url));
  return ((await res.json()) as { url: string }).url;
}

t.test('one wallet, two kiosks, an exposure warning, and nothing sent names the venue', async (t) => {
  t.ok(existsSync(CHROMIUM), `chromium at ${CHROMIUM} (apt-get install chromium)`);
  await buildWallet(); // the kiosks serve dist/wallet: build it from the sources under test

  const [portA, portB] = [await freePort(), await freePort()];
  const walletUrl = `http://127.0.0.1:${portA}/wallet/`;
  const common = { speed: 1, tapEveryMs: 0, checkinVisitorEveryS: 0 } as const;
  const demoA = await startDemo({
    ...common, port: portA, seed: 11,
    config: { venue: { name: 'Demo Café', geohash: 'u4pruydqq' }, checkin: { walletUrl }, batch: { maxAgeS: 1 } },
  });
  t.teardown(() => demoA.stop());
  const chain = demoA.chain!;
  // a second venue in another region on the same registry, run by its own kiosk (dev account 4)
  const provider = connectProvider(chain.rpcUrl, { chainId: chain.chainId, pollingIntervalMs: 50 });
  t.teardown(() => provider.destroy());
  const venueB = Number(await setUpDevVenue(provider, chain.registry, { geohash: 'u33dc0cpp', kiosk: devWallet(4).address }));
  // no embedded chain of its own: the daemon anchors on demo A's node and registry (chain.* config)
  const demoB = await startDemo({
    ...common, port: portB, seed: 12, chain: false, kioskKey: ANVIL_DEV_KEYS[4],
    config: {
      venue: { name: 'Demo Bar', geohash: 'u33dc0cpp' },
      chain: { rpcUrl: chain.rpcUrl, chainId: chain.chainId, registry: chain.registry, venueId: venueB },
      checkin: { walletUrl }, batch: { maxAgeS: 1 },
    },
  });
  t.teardown(() => demoB.stop());

  const browser = await launchChromium(t);
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } }); // a phone
  const page = await context.newPage();
  const sent: Request[] = [];
  page.on('request', (r) => sent.push(r));
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const statusText = () => page.textContent('[data-testid=status]');

  const linkA = await qrLink(demoA);
  t.ok(linkA.startsWith(`${walletUrl}#kiosk=`), `kiosk A's QR opens the wallet: ${linkA.slice(0, 60)}…`);
  await page.goto(linkA);
  await page.waitForSelector('[data-testid=checkin]', { state: 'visible' });
  t.match(await page.textContent('[data-testid=scan-what]'), `127.0.0.1:${portA}`);
  await page.click('[data-testid=checkin]');
  await page.waitForFunction(() => /Checked in at venue/.test(document.querySelector('[data-testid=status]')?.textContent ?? ''), null, { timeout: 15_000 });
  t.match(await statusText(), /Checked in at venue 1 \(u4pruydqq\)/);

  const linkB = await qrLink(demoB);
  t.ok(linkB.startsWith(`${walletUrl}#kiosk=`), 'kiosk B\'s QR opens the same wallet');
  await page.goto(linkB);
  await page.waitForSelector('[data-testid=checkin]', { state: 'visible' });
  await page.click('[data-testid=checkin]');
  await page.waitForFunction(() => /Checked in at venue 2/.test(document.querySelector('[data-testid=status]')?.textContent ?? ''), null, { timeout: 15_000 });
  t.same(await page.$$eval('[data-testid=checkins] li', (lis) => lis.map((li) => li.getAttribute('data-venue')).sort()), ['1', String(venueB)], 'one origin holds both check-ins');
  t.ok(sent.some((r) => r.method() === 'POST' && r.url() === `http://127.0.0.1:${portB}/v1/checkins`), 'kiosk B took the check-in from kiosk A\'s wallet origin (CORS)');

  // proofs, once each kiosk has anchored its batch (the page fetches them when it opens)
  const proofsKept = async () => (await page.$$eval('[data-testid=checkins] li', (lis) => lis.map((li) => li.getAttribute('data-proof')))).every((p) => p === 'kept');
  for (let i = 0; i < 40 && !(await proofsKept()); i++) {
    await page.waitForTimeout(1500);
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
  }
  t.ok(await proofsKept(), 'both proofs fetched and kept');

  // leaving venue A: scan its QR again
  await page.goto(await qrLink(demoA));
  await page.waitForSelector('[data-testid=checkout]', { state: 'visible' });
  const checkoutRequests = sent.length;
  await page.click('[data-testid=checkout]');
  await page.waitForFunction(() => /Checked out/.test(document.querySelector('[data-testid=status]')?.textContent ?? ''));
  t.notOk(sent.slice(checkoutRequests).some((r) => r.url().includes('/v1/checkins')), 'a check-out sends nothing');
  t.equal(await page.getAttribute('[data-testid=checkins] li[data-venue="1"]', 'data-checked-out'), 'yes');

  // exposure checking: the chain endpoint, then a report for venue A
  await page.fill('[data-testid=rpc]', chain.rpcUrl);
  await page.click('[data-testid=save-rpc]');
  await page.waitForFunction(() => /No exposure found/.test(document.querySelector('[data-testid=exposure-summary]')?.textContent ?? ''), null, { timeout: 15_000 });
  // the visit was in the last few minutes: a window over the last hour covers it
  const now = Math.floor(Date.now() / 1000);
  const authority = registryClient(devWallet('authority', provider), chain.registry);
  await reportExposure(authority, { venueId: chain.venueId, fromTime: now - 3600, toTime: now + 600 });
  await page.click('[data-testid=check-exposures]');
  await page.waitForSelector('[data-testid=exposure-warning]', { timeout: 15_000 });
  const warnings = await page.$$eval('[data-testid=exposure-warning]', (els) => els.map((e) => ({ venue: e.getAttribute('data-venue'), departure: e.getAttribute('data-departure'), text: e.textContent ?? '' })));
  t.equal(warnings.length, 1, 'one warning: venue A only');
  t.match(warnings[0], { venue: String(chain.venueId), departure: 'checkout' });
  t.match(warnings[0]!.text, /venue 1 \(u4pruydqq\)/);
  t.match(warnings[0]!.text, /for about \d+ min/);
  t.match(warnings[0]!.text, /from your check-out/);
  t.match(warnings[0]!.text, /Watch for symptoms/);
  t.match(await page.textContent('[data-testid=exposure-summary]'), /1 possible exposure/);

  // what went to the chain endpoint: the registry and the event, never a venue
  const rpcRequests = sent.filter((r) => r.url().startsWith(chain.rpcUrl));
  t.ok(rpcRequests.length >= 3, `${rpcRequests.length} requests to the chain endpoint`);
  const venueWords = ['u4pruydqq', 'u33dc0cpp', demoA.daemon.checkin!.service.signer.address.slice(2).toLowerCase(), devWallet(4).address.slice(2).toLowerCase()];
  const venueTopics = [chain.venueId, venueB].map((v) => '0x' + v.toString(16).padStart(64, '0'));
  let getLogs = 0;
  for (const r of rpcRequests) {
    t.equal(r.url().replace(/\/$/, ''), chain.rpcUrl.replace(/\/$/, ''), 'the endpoint URL as configured, no query');
    if (r.method() === 'OPTIONS') continue;
    const body = r.postData() ?? '';
    for (const w of [...venueWords, ...venueTopics]) t.notOk(body.toLowerCase().includes(w.toLowerCase()), `request body does not contain ${w}`);
    const call = JSON.parse(body) as { method: string; params: any[] };
    if (call.method === 'eth_getLogs') {
      getLogs++;
      t.same(Object.keys(call.params[0]).sort(), ['address', 'fromBlock', 'toBlock', 'topics']);
      t.same(call.params[0].topics, [EXPOSURE_REPORTED_TOPIC], 'only the event topic: no venue filter');
      t.equal(call.params[0].address.toLowerCase(), chain.registry.toLowerCase());
    } else {
      t.ok(['eth_chainId', 'eth_blockNumber', 'eth_getBlockByNumber'].includes(call.method), `${call.method} asks nothing about the visitor`);
    }
  }
  t.ok(getLogs >= 2, `${getLogs} eth_getLogs calls`);

  // offline: the service worker opens the wallet, and the reports kept from before still warn
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  t.ok(await page.evaluate(() => Boolean(navigator.serviceWorker.controller) || navigator.serviceWorker.ready.then((r) => Boolean(r.active))), 'a service worker is active');
  const manifest = await page.evaluate(async () => (await fetch('manifest.webmanifest')).json());
  t.match(manifest, { name: 'Waymark wallet', display: 'standalone', start_url: './' }, 'installable: a manifest with start_url and display');
  await context.setOffline(true);
  await page.goto(walletUrl);
  await page.waitForSelector('body[data-ready=true]');
  t.equal(await page.$$eval('[data-testid=checkins] li', (lis) => lis.length), 2, 'offline, the check-ins are there');
  await page.waitForSelector('[data-testid=exposure-warning]', { timeout: 15_000 });
  t.equal(await page.getAttribute('[data-testid=exposure-summary]', 'data-state'), 'stale', 'offline: matched against the kept reports');
  await context.setOffline(false);

  // 14 days on, the wallet has forgotten everything
  await page.clock.install({ time: Date.now() + 15 * 86_400_000 });
  await page.goto(walletUrl);
  await page.waitForSelector('body[data-ready=true]');
  t.equal(await page.$$eval('[data-testid=checkins] li', (lis) => lis.length), 0, 'deleted after 14 days');
  t.same(pageErrors, [], 'no uncaught page errors');
});
