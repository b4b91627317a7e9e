/**
 * The kiosk screen in a real headless Chromium: venue name, live occupancy and health
 * appear, and a screenshot is taken.
 */
import t from 'tap';
import { join } from 'node:path';
import { statSync, existsSync } from 'node:fs';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { startDemo } from '../../sim/demo.js';


t.test('the kiosk page shows venue, occupancy and health', async (t) => {
  t.ok(existsSync(CHROMIUM), `chromium at ${CHROMIUM} (apt-get install chromium)`);
  const demo = await startDemo({ port: 0, speed: 20, seed: 3 });
  t.teardown(() => demo.stop());
  const browser = await launchChromium(t);
  const page = await browser.newPage({ viewport: { width: 800, height: 480 } }); // a 7" kiosk screen
  await page.goto(demo.url);
  await t.resolves(page.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-testid=occupancy]')?.textContent ?? ''), null, { timeout: 15_000 }));
  t.equal(await page.textContent('#venue'), 'Demo Café');
  t.match(await page.textContent('[data-testid=radio]'), /^on · virtual hci\d+$/);
  t.match(await page.getAttribute('[data-testid=radio]', 'title'), /^noble\/hci-socket\(virtual hci\d+\)$/, 'the full adapter path in the tooltip');
  t.match(await page.textContent('#clock'), /synced/);
  t.equal(await page.isVisible('#banner'), false, 'no problem banner on a healthy kiosk');
  const big = await page.$eval('[data-testid=occupancy]', (el) => parseFloat(getComputedStyle(el).fontSize));
  t.ok(big >= 64, `occupancy figure is large enough to read at 3 m (${big}px)`);
  await t.resolves(page.waitForFunction(() => /^#\d+ · 0x[0-9a-f]{8}…$/.test(document.querySelector('[data-testid=last-batch]')?.textContent ?? ''), null, { timeout: 20_000 }),
    'the last anchored batch appears with its transaction');
  t.match(await page.textContent('[data-testid=chain]'), /^anchoring · \d+ confirmed$/);
  const shot = join(t.testdir({}), 'kiosk.png');
  await page.screenshot({ path: shot });
  t.ok(statSync(shot).size > 5000, 'screenshot written');
});
