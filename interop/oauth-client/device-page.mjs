// Drives the controller's device verification page in headless Chromium, as an operator would: opens the
// verification URI with its user code, signs in with a token, reads who asks and the trust factors, saves a
// screenshot, and approves (or denies). Prints what the page showed, one line each.
// Usage: node device-page.mjs VERIFICATION_URI_COMPLETE TOKEN SCREENSHOT.png approve|deny
import { chromium } from 'playwright-core';

const [url, token, shot, decision] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  // The page is served over the controller's TLS, whose root is ours; the browser is not the subject here.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1000, height: 860 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.fill('#token', token);
  await page.click('#sign-in');
  await page.waitForSelector('#factors');
  console.log('operator: ' + (await page.textContent('#operator')));
  console.log('code: ' + (await page.textContent('#code')));
  console.log('answer: ' + (await page.textContent('#answer')));
  for (const row of await page.$$eval('#factors tr', rows => rows.slice(1).map(r => [...r.cells].map(c => c.textContent)))) {
    console.log('factor: ' + row.join(' | '));
  }
  await page.screenshot({ path: shot, fullPage: true });
  await page.click(decision === 'deny' ? '#deny' : '#approve');
  await page.waitForSelector('#outcome');
  console.log('outcome: ' + (await page.textContent('#outcome')));
} finally {
  await browser.close();
}
