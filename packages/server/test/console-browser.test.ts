/**
 * The operators' console (`/console/` on the admin listener) in headless Chromium: the hospital
 * platform is provisioned for real, a bounded run of its token requests goes to a real
 * `serve --audit-store --admin-port`, and the console signs in, draws exactly those calls, shows a
 * client's page, revokes a client (whose next real token request is then refused), rotates a
 * secret and creates a client with the keyboard only. Every request the page makes is recorded:
 * none may leave loopback, and the page may log no error. With `M2M_AUTH_SCREENSHOTS=<dir>` it
 * also writes the documentation's screenshots (`npm run docs:screenshots`).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth } from './helpers/auth-server.js';
import {
  CHROMIUM_PATH,
  chromiumSkipped,
  isLoopbackUrl,
  launchChromium,
} from './helpers/chromium.js';
import { HOSPITAL_DEMO_CALLS, HOSPITAL_MANIFEST } from './helpers/provision-fixture.js';
import { runCliProcess } from './helpers/run-cli.js';
import { runCliJson, type ServeProcess, startServeProcess } from './helpers/serve-process.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

const SCREENSHOTS = process.env['M2M_AUTH_SCREENSHOTS'];

interface Credentials {
  client_id: string;
  client_secret: string;
}

let database: TestDatabase;
let dir: string;
let served: ServeProcess;
let adminUrl: string;
let admin: Credentials;
let browser: Browser;
let context: BrowserContext;
const services = new Map<string, Credentials>();
const consoleErrors: string[] = [];
const requested: string[] = [];

function tokenRequest(credentials: Credentials, audience: string, scope?: string) {
  return fetch(`${served.url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: basicAuth(credentials.client_id, credentials.client_secret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      audience,
      ...(scope === undefined ? {} : { scope }),
    }),
    signal: AbortSignal.timeout(10_000),
  });
}

/** A page of the console with every request and console message recorded. */
async function openConsole(): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      consoleErrors.push(`${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
  await page.goto(`${adminUrl}/console/`);
  return page;
}

async function signIn(page: Page): Promise<void> {
  await page.getByLabel('client_id').first().fill(admin.client_id);
  await page.getByLabel('client_secret').first().fill(admin.client_secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Service graph' }).waitFor();
}

/** The `from -> to` pairs the SVG draws, once it draws `count` of them. */
async function drawnEdges(page: Page, count: number): Promise<string[]> {
  // A locator, not waitForFunction: its string predicate would be an eval, which the page's CSP
  // refuses.
  await page
    .locator('svg.graph g.edge')
    .nth(count - 1)
    .waitFor({ timeout: 20_000 });
  const edges = page.locator('svg.graph g.edge');
  const pairs: string[] = [];
  for (const edge of await edges.all()) {
    pairs.push(`${await edge.getAttribute('data-from')} -> ${await edge.getAttribute('data-to')}`);
  }
  return pairs;
}

/** The tag and accessible text of the focused element. */
function focused(page: Page): Promise<string> {
  return page.evaluate(`(() => {
    const el = document.activeElement;
    if (el === null) return '';
    return el.tagName.toLowerCase() + ':' + (el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
  })()`);
}

/** Presses Tab until the focused element matches, at most `max` times; returns the presses. */
async function tabTo(page: Page, pattern: RegExp, max = 40): Promise<number> {
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press('Tab');
    if (pattern.test(await focused(page))) return presses;
  }
  throw new Error(`Tab never reached ${pattern} (last: ${await focused(page)})`);
}

// Under CI a missing Chromium is a failed test, not a skipped one.
it.runIf(process.env['CI'] === 'true')('finds Chromium under CI', () => {
  expect(existsSync(CHROMIUM_PATH), `${CHROMIUM_PATH} (.ci/run installs chromium)`).toBe(true);
});

describe.skipIf(chromiumSkipped())('the console in headless Chromium', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    // First, so that a missing Chromium fails at once.
    browser = await launchChromium();
    database = await createTestDatabase('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'm2m-auth-console-'));
    const env = {
      ...process.env,
      DATABASE_URL: database.url,
      M2M_AUTH_KEK: randomKek(),
    } as NodeJS.ProcessEnv;
    delete env['M2M_AUTH_DEBUG'];
    const envDir = join(dir, 'env');
    const provisioned = await runCliProcess(['provision', HOSPITAL_MANIFEST, '--env-dir', envDir], {
      cwd: dir,
      env: env as Record<string, string>,
    });
    expect(provisioned.code, provisioned.stderr).toBe(0);
    for (const name of ['ms_admin', 'ms_appointment', 'ms_billing']) {
      const values = parseEnv(readFileSync(join(envDir, `${name}.env`), 'utf8'));
      services.set(name, {
        client_id: values['OAUTH_CLIENT_ID'] ?? '',
        client_secret: values['OAUTH_CLIENT_SECRET'] ?? '',
      });
    }
    admin = await runCliJson<Credentials>(['admin', 'bootstrap'], { env, cwd: dir });
    served = await startServeProcess(['--admin-port', '0', '--audit-store'], { env, cwd: dir });
    for (let attempt = 0; attempt < 100 && adminUrl === undefined; attempt++) {
      const match = /admin endpoints \(.*\) on (http:\/\/\S+)/.exec(served.stderr());
      if (match?.[1]) adminUrl = match[1];
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const [client, audience, scope, times, status] of HOSPITAL_DEMO_CALLS) {
      for (let i = 0; i < times; i++) {
        const res = await tokenRequest(services.get(client) as Credentials, audience, scope);
        await res.arrayBuffer();
        expect(res.status, `${client} -> ${audience} ${scope}`).toBe(status);
      }
    }
    context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    // Record every request; anything outside loopback is refused and counted.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      requested.push(url);
      return isLoopbackUrl(url) ? route.continue() : route.abort();
    });
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    await database?.drop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('signs in with the admin client and draws exactly the calls that were made', async () => {
    const page = await openConsole();
    await expect(page.title()).resolves.toBe('Sign in — m2m-auth console');
    await signIn(page);
    // The audit table is written about once a second: the graph refreshes until all show. The
    // console's own sign-in is a call too: the admin client's token for the admin API.
    const edges = await drawnEdges(page, 6);
    expect(edges.sort()).toEqual([
      'm2m-auth-admin -> m2m-auth-admin',
      'ms_admin -> ms_college',
      'ms_admin -> ms_doctor',
      'ms_admin -> ms_lab',
      'ms_admin -> ms_pharmacy',
      'ms_appointment -> ms_doctor',
    ]);
    // Refusals are told by the class (colour and dashes) and by text, not by colour alone.
    const refused = page.locator('g.edge.refused');
    await expect(refused.count()).resolves.toBe(1);
    await expect(refused.getAttribute('data-from')).resolves.toBe('ms_appointment');
    await expect(refused.locator('text.refusals').textContent()).resolves.toBe('✕ 1 refused');
    const callsTable = page.getByRole('table', { name: /Calls/ });
    await expect(callsTable.getByRole('row').count()).resolves.toBe(7);
    await expect(callsTable.textContent()).resolves.toContain('ERR_SCOPE_NOT_ALLOWED ×1');
    // The token lives in this tab's sessionStorage, never in the URL or localStorage.
    expect(page.url()).toBe(`${adminUrl}/console/`);
    const storage = await page.evaluate(
      '({ session: Object.keys(sessionStorage), local: localStorage.length })',
    );
    expect(storage).toEqual({ session: ['m2m-auth-console-token'], local: 0 });
    if (SCREENSHOTS !== undefined) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.locator('figure').screenshot({ path: resolve(SCREENSHOTS, 'console-graph.png') });
    }
    await page.close();
  });

  it("shows a client's grants, unused grants, last token and refusals, and the keys", async () => {
    const page = await openConsole();
    await signIn(page);
    await drawnEdges(page, 6);
    await page.getByRole('link', { name: 'ms_appointment: open its client page' }).click();
    await page.getByRole('heading', { level: 1, name: 'Client ms_appointment' }).waitFor();
    await page.locator('#client-refusals table').waitFor();
    const text = (await page.locator('#page dl').first().textContent()) ?? '';
    expect(text).toMatch(
      /Audiencesms_doctor, ms_(patient|notification), ms_(notification|patient)Scopes/,
    );
    expect(await page.locator('#credential-status').textContent()).toBe('a secret, no end');
    expect(await page.locator('#last-token').textContent()).toMatch(
      /UTC for ms_doctor \(doctors:schedule\)$/,
    );
    const unused = (await page.locator('#unused-grants').textContent()) ?? '';
    expect(unused).toMatch(
      /Audiences never calledms_(patient|notification), ms_(notification|patient)S/,
    );
    expect(unused).toMatch(
      /Scopes never used(patients:read|notifications:send), (notifications:send|patients:read)T/,
    );
    expect(unused).toContain(
      'm2m-auth client update ms_appointment --audiences ms_doctor --scopes doctors:schedule',
    );
    const refusals = page.locator('#client-refusals tbody tr');
    await expect(refusals.count()).resolves.toBe(1);
    await expect(refusals.textContent()).resolves.toContain('ERR_SCOPE_NOT_ALLOWED');
    if (SCREENSHOTS !== undefined) {
      await page.screenshot({ path: resolve(SCREENSHOTS, 'console-client.png'), fullPage: true });
    }
    await page.getByRole('link', { name: 'Signing keys' }).click();
    const keyRows = page
      .getByRole('table', { name: 'Every signing key (public material only)' })
      .locator('tbody tr');
    await keyRows.first().waitFor();
    await expect(keyRows.count()).resolves.toBe(1);
    await expect(keyRows.textContent()).resolves.toMatch(/RS256active.*none scheduled/);
    await page.close();
  });

  it('revokes a client from its page after a confirmation, and its next token request is refused', async () => {
    const appointment = services.get('ms_appointment') as Credentials;
    expect((await tokenRequest(appointment, 'ms_doctor', 'doctors:schedule')).status).toBe(200);
    const page = await openConsole();
    await signIn(page);
    await page.goto(`${adminUrl}/console/#/clients/ms_appointment`);
    await page.getByRole('heading', { level: 1, name: 'Client ms_appointment' }).waitFor();
    await page.getByRole('button', { name: 'Revoke client' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke ms_appointment?' });
    await dialog.waitFor();
    // Cancel changes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog.isVisible()).resolves.toBe(false);
    expect((await tokenRequest(appointment, 'ms_doctor', 'doctors:schedule')).status).toBe(200);
    await page.getByRole('button', { name: 'Revoke client' }).click();
    await dialog.getByRole('button', { name: 'Revoke client' }).click();
    await page.getByText(/^revoked \d{4}-/).waitFor();
    await expect(page.getByRole('button', { name: 'Revoked' }).isDisabled()).resolves.toBe(true);

    // A real token request to the public listener.
    const res = await tokenRequest(appointment, 'ms_doctor', 'doctors:schedule');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client');

    // The refusal reaches the Refusals page (the audit table is written about once a second).
    const refusalsTable = async () => {
      await page.getByRole('heading', { level: 1, name: 'Recent refusals' }).waitFor();
      const list = page.getByRole('table', { name: /^\d+ refused requests$/ });
      await list.waitFor();
      return (await list.textContent()) ?? '';
    };
    await page.getByRole('link', { name: 'Refusals' }).click();
    let refusals = await refusalsTable();
    for (let attempt = 0; attempt < 40 && !refusals.includes('ERR_CLIENT_AUTH_FAILED'); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await page.getByRole('link', { name: 'Service graph' }).click();
      await page.getByRole('heading', { level: 1, name: 'Service graph' }).waitFor();
      await page.getByRole('link', { name: 'Refusals' }).click();
      refusals = await refusalsTable();
    }
    expect(refusals).toContain('ERR_CLIENT_AUTH_FAILED');
    expect(refusals).toContain('ERR_SCOPE_NOT_ALLOWED');
    await page.close();
  });

  it('reaches every page and action with the keyboard only: rotate a secret, create a client', async () => {
    const page = await openConsole();
    // Sign in: Tab to the fields, type, Enter.
    await tabTo(page, /^input:$/);
    expect(await page.evaluate('document.activeElement.id')).toBe('client-id');
    await page.keyboard.type(admin.client_id);
    await page.keyboard.press('Tab');
    await page.keyboard.type(admin.client_secret);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Service graph' }).waitFor();
    await drawnEdges(page, 6);

    // The nav links, then a client's node in the graph, are reachable by Tab.
    await page.locator('body').focus();
    for (const name of ['Service graph', 'Clients', 'Signing keys', 'Refusals']) {
      await tabTo(page, new RegExp(`^a:${name}$`));
    }
    await tabTo(page, /^a:ms_admin: open its client page$/);
    // Its focus is visible: the outline comes from :focus-visible.
    expect(await page.evaluate(`document.activeElement.matches(':focus-visible')`)).toBe(true);

    // Rotate ms_billing's secret: Tab to the button, Enter, Tab to Confirm, Enter.
    await page.goto(`${adminUrl}/console/#/clients/ms_billing`);
    await page.getByRole('heading', { level: 1, name: 'Client ms_billing' }).waitFor();
    await tabTo(page, /^button:Rotate secret$/);
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('dialog', { name: 'Rotate the secret of ms_billing?' });
    await confirm.waitFor();
    // The safe choice has the focus; Escape closes the dialog and gives the focus back.
    expect(await focused(page)).toBe('button:Cancel');
    await page.keyboard.press('Escape');
    await expect(confirm.isVisible()).resolves.toBe(false);
    expect(await focused(page)).toBe('button:Rotate secret');
    await page.keyboard.press('Enter');
    await confirm.waitFor();
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('button:Rotate secret');
    await page.keyboard.press('Enter');
    const secretDialog = page.getByRole('dialog', { name: 'New client secret' });
    await secretDialog.waitFor({ timeout: 10_000 }).catch(async (err: Error) => {
      throw new Error(`${err.message}\nstatus: ${await page.locator('#status').textContent()}`);
    });
    const newSecret = await page.locator('#secret-value').inputValue();
    expect(newSecret.length).toBeGreaterThanOrEqual(32);
    await tabTo(page, /^button:I have stored it$/, 5);
    await page.keyboard.press('Enter');
    await expect(secretDialog.isVisible()).resolves.toBe(false);
    // The secret is gone from the page once the dialog closes.
    expect(await page.content()).not.toContain(newSecret);
    const billing = services.get('ms_billing') as Credentials;
    expect((await tokenRequest(billing, 'ms_patient')).status).toBe(401);
    const rotated = await tokenRequest({ ...billing, client_secret: newSecret }, 'ms_patient');
    expect(rotated.status).toBe(200);

    // Create a client: the nav link, the page's link, the form, the confirmation.
    await page.locator('body').focus();
    await tabTo(page, /^a:Clients$/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Clients' }).waitFor();
    await tabTo(page, /^a:Create a client$/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Create a client' }).waitFor();
    await tabTo(page, /^input:$/);
    await page.keyboard.type('ms_console_made');
    await page.keyboard.press('Tab');
    await page.keyboard.type('ms_doctor');
    await page.keyboard.press('Tab');
    await page.keyboard.type('doctors:read');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Create this client?' }).waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await secretDialog.waitFor();
    const created = {
      client_id: await page.locator('#secret-client-id').inputValue(),
      client_secret: await page.locator('#secret-value').inputValue(),
    };
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Client ms_console_made' }).waitFor();
    const res = await tokenRequest(created, 'ms_doctor', 'doctors:read');
    expect(res.status).toBe(200);
    await page.close();
  });

  it('logged no console error and requested nothing outside loopback', () => {
    expect(consoleErrors).toEqual([]);
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => !isLoopbackUrl(url))).toEqual([]);
    // Only the admin listener: the page never calls the public listener or anything else.
    expect(requested.filter((url) => !url.startsWith(`${adminUrl}/`))).toEqual([]);
  });
});
