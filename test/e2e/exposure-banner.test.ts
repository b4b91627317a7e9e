/**
 * The kiosk screen's exposure banner in a real headless Chromium, driven through a real
 * anvil: the region authority's dev key reports an exposure at the demo venue and the banner
 * appears with the window, the advice and the expiry; the operator's dev key marks the venue
 * cleaned and the banner goes.
 */
import t from 'tap';
import { join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { connectProvider, registryClient } from '../../contracts/client.js';
import { reportExposure } from '../../contracts/actions/report-exposure.js';
import { markCleaned } from '../../contracts/actions/mark-cleaned.js';
import { startDemo } from '../../sim/demo.js';
import { devWallet } from '../../sim/dev-chain.js';

const BANNER = '[data-testid=exposure-banner]';

t.test('the exposure banner appears while the venue is Infected and goes once it is cleaned', async (t) => {
  t.ok(existsSync(CHROMIUM), `chromium at ${CHROMIUM} (apt-get install chromium)`);
  // the demo's own simulated authority stays quiet: this test is the authority
  const demo = await startDemo({ port: 0, speed: 1, seed: 5, exposure: false, checkinVisitorEveryS: 0, tapEveryMs: 0 });
  t.teardown(() => demo.stop());
  const chain = demo.chain!;
  const provider = connectProvider(chain.rpcUrl, { chainId: chain.chainId, pollingIntervalMs: 50 });
  t.teardown(() => provider.destroy());
  const browser = await launchChromium(t);
  const page = await browser.newPage({ viewport: { width: 800, height: 480 } }); // a 7" kiosk screen
  await page.goto(demo.url);
  await t.resolves(page.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-testid=occupancy]')?.textContent ?? ''), null, { timeout: 15_000 }), 'the page is live');
  t.equal(await page.isVisible(BANNER), false, 'no exposure banner on a venue that is not Infected');

  const now = (await provider.getBlock('latest'))!.timestamp;
  const from = now - 2 * 3600;
  const to = now - 1800;
  await reportExposure(registryClient(devWallet('authority', provider), chain.registry), { venueId: chain.venueId, fromTime: from, toTime: to });
  await t.resolves(page.waitForSelector(BANNER, { state: 'visible', timeout: 15_000 }), 'the banner appears');
  t.match(await page.textContent('#exposure-title'), 'Exposure reported at this venue');
  // the window and expiry as the page's own locale writes them
  // (a string, not a function: tsx would name the function's helpers with its own __name)
  const until = to + 14 * 86_400;
  const [fromDay, fromTime, toTime, untilDay, untilTime] = await page.evaluate(`[[${from}, 'day'], [${from}, 'time'], [${to}, 'time'], [${until}, 'day'], [${until}, 'time']]
    .map(([s, part]) => part === 'day' ? new Date(s * 1000).toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short' })
      : new Date(s * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }))`) as string[];
  const expected = { from: `${fromDay} ${fromTime}`, to: toTime!, until: `${untilDay} ${untilTime}` };
  const when = await page.textContent('[data-testid=exposure-when]');
  t.ok(when!.startsWith(`An infected visitor was here between ${expected.from} and `), when!);
  t.ok(when!.includes(expected.to), `the window's end, ${expected.to}, is shown: ${when}`);
  const text = await page.textContent(BANNER);
  t.match(text, /watch for symptoms/, 'what to do');
  t.match(text, /get tested/);
  t.match(text, /health authority/);
  t.match(text, /Waymark wallet/);
  t.equal(await page.textContent('[data-testid=exposure-until]'), `This notice stays until ${expected.until}, or until the venue has been cleaned.`);
  const size = await page.$eval('#exposure-title', (el) => parseFloat(getComputedStyle(el).fontSize));
  t.ok(size >= 26, `the heading is large enough to read from a distance (${size}px)`);
  const box = (await page.locator(BANNER).boundingBox())!;
  t.ok(box.y < 60, `the banner is at the top of the screen (y ${box.y})`);
  const shot = join(t.testdir({}), 'exposure.png');
  await page.screenshot({ path: shot });
  t.ok(statSync(shot).size > 5000, 'screenshot written');

  await markCleaned(registryClient(devWallet('operator', provider), chain.registry), { venueId: chain.venueId });
  await t.resolves(page.waitForSelector(BANNER, { state: 'hidden', timeout: 15_000 }), 'the banner goes once the venue is cleaned');
  t.equal(await page.isVisible('#banner'), false, 'and no problem banner either');
});
