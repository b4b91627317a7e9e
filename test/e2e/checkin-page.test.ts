/**
 * The kiosk screen's check-in part in headless Chromium: a live QR code (SVG) carrying the
 * current token, a check-in with that token shows up in the counter, clock and chain rows,
 * legible sizes on a 7" screen, and a screenshot.
 */
import t from 'tap';
import { join } from 'node:path';
import { statSync, existsSync } from 'node:fs';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { startDemo } from '../../sim/demo.js';
import { checkInOverHttp } from '../../beacon/visitor/client.js';


t.test('the page shows the live QR, check-ins, clock and chain health', async (t) => {
  t.ok(existsSync(CHROMIUM), `chromium at ${CHROMIUM}`);
  const demo = await startDemo({ port: 0, speed: 1, seed: 5, checkinVisitorEveryS: 0, tapEveryMs: 0, chain: false });
  t.teardown(() => demo.stop());
  const browser = await launchChromium(t);
  const page = await browser.newPage({ viewport: { width: 800, height: 480 } });
  await page.goto(demo.url);
  await t.resolves(page.waitForSelector('[data-testid=checkin-qr] svg', { timeout: 15_000 }), 'QR code rendered');
  const token = await page.getAttribute('[data-testid=checkin-qr]', 'data-token');
  t.match(token, /^[A-Za-z0-9_-]{107}$/, 'the QR carries an 80-byte token');
  const box = (await page.$('[data-testid=checkin-qr] svg'))!.boundingBox();
  const size = (await box)!;
  t.ok(size.width >= 120 && size.width === size.height, `QR is square and big enough to scan (${size.width}px)`);
  t.equal(await page.textContent('[data-testid=checkins]'), '0');
  await checkInOverHttp(demo.url, { token: token! });
  await t.resolves(page.waitForFunction(() => document.querySelector('[data-testid=checkins]')?.textContent === '1', null, { timeout: 10_000 }), 'the counter shows the check-in');
  t.match(await page.textContent('#clock'), /^synced \(simulated\)$/);
  t.equal(await page.textContent('[data-testid=chain]'), 'not connected');
  t.equal(await page.textContent('[data-testid=last-batch]'), 'none yet');
  t.equal(await page.isVisible('#banner'), false);
  t.equal(await page.textContent('#venue'), 'Demo Café', 'existing ids still work');
  const rowFont = await page.$eval('[data-testid=checkins]', (el) => parseFloat(getComputedStyle(el).fontSize));
  t.ok(rowFont >= 18, `rows readable at 3 m (${rowFont}px)`);
  const shot = join(t.testdir({}), 'kiosk-checkin.png');
  await page.screenshot({ path: shot });
  t.ok(statSync(shot).size > 5000, 'screenshot written');
});
