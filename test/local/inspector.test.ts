import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passportEvent } from '../support/events.ts';
import { type RunningLocalServer, startLocalServer } from '../support/local-server.ts';

// Debian's Chromium, driven by playwright-core (no browser download). CI installs it (.ci/run);
// on a machine without it the test says so and is skipped, except in CI, where it must run.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`CI needs Chromium at ${CHROMIUM} for the inspector test`);
if (!haveChromium) console.warn(`inspector browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const KEY = 'inspector-test-key';
const EXAMPLE_USER = '00000000-0000-0001-0000-000000000000';

describe.skipIf(!haveChromium)('the inspector in a real browser', () => {
  let server: RunningLocalServer;
  let browser: Browser;
  let page: Page;
  let origin: string;

  beforeAll(async () => {
    server = await startLocalServer({ WEBHOOK_API_KEYS: KEY });
    origin = new URL(server.url).origin;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    await page.goto(`${origin}/`);
    await page.getByTestId('connection').getByText('live').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('sends an example with the form: a user.delete is accepted, its row shows 200, and nothing is erased yet', async () => {
    expect(await page.getByTestId('example').inputValue()).toBe('user.delete.json');
    expect(await page.getByTestId('user-id').inputValue()).toBe(EXAMPLE_USER);
    await page.getByTestId('add-todos').click();
    await expect.poll(() => page.getByTestId('todo-count').textContent()).toBe('5');

    await page.getByTestId('send').click();

    const row = page.getByTestId('delivery').first();
    await expect.poll(() => row.getByTestId('type').textContent()).toBe('user.delete');
    expect(await row.getByTestId('status').textContent()).toBe('200');
    expect(await page.getByTestId('send-result').textContent()).toContain('"status":"accepted"');
    await expect.poll(() => page.getByTestId('erasure-state').first().textContent()).toBe('requested');
    expect(await page.getByTestId('todo-count').textContent()).toBe('5');
  });

  it('deletes the user as FusionAuth does: the ledger shows the erasure, and the Todo count drops', async () => {
    await page.getByTestId('delete-user').click();
    await expect.poll(() => page.getByTestId('erasure-state').first().textContent()).toBe('erased');
    await expect.poll(() => page.getByTestId('todo-count').textContent()).toBe('0');
    expect(await page.getByTestId('send-result').textContent()).toMatch(/200 .*accepted.* → 200 .*handled/);
    const rows = page.getByTestId('delivery');
    expect(await rows.first().getByTestId('type').textContent()).toBe('user.delete.complete');
  });

  it('opens a row to the request, its credential masked, and the response', async () => {
    await page.getByTestId('delivery').first().click();
    const headers = await page.getByTestId('request-headers').textContent();
    expect(headers).toMatch(/authorization: •+ \(18 characters\)/);
    expect(headers).not.toContain(KEY);
    expect(await page.getByTestId('response-body').textContent()).toContain('"status": "handled"');
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/inspector-details.png' });
    await page.keyboard.press('Escape');
  });

  it('shows a delivery from elsewhere as it arrives, newest first', async () => {
    const response = await fetch(server.url, { method: 'POST', headers: { authorization: 'wrong' }, body: passportEvent({ type: 'test' }) });
    expect(response.status).toBe(401);
    const row = page.getByTestId('delivery').first();
    await expect.poll(() => row.getByTestId('status').textContent()).toBe('401');
    expect(await row.textContent()).toContain('[notAuthorized]');
    expect(await page.getByTestId('delivery').count()).toBe(4);
    await page.screenshot({ path: 'test-results/inspector.png' });
  });

  it('answers only this machine, and only JSON posts', async () => {
    const form = await fetch(`${origin}/api/send`, { method: 'POST', body: '{"example":"user.delete.json"}' });
    expect(form.status).toBe(415);
  });
});
