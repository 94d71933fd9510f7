/**
 * Prometheus metrics on the admin listener: after a bounded load of issued and refused token
 * requests, JWKS requests and audit writes, `GET /metrics` parses as Prometheus text and shows
 * every family of METRICS.md with the counts of that load; the table and the exposed names agree.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { openStore, type RunningServer, startServer } from '@m2m-auth/server';
import { SERVER_METRIC_NAMES } from '@m2m-auth/server/http';
import { afterEach, describe, expect, it } from 'vitest';
import { requestClientCredentials } from './helpers/auth-server.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

interface MetricFamily {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; count?: string }[];
}
const parsePrometheusText = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => MetricFamily[];

/** Requests of the bounded load. */
const ISSUED = 25;
const WRONG_SECRET = 6;
const LIMIT_PER_CLIENT_AND_ADDRESS = 4;
const JWKS_REQUESTS = 5;

let database: TestDatabase | undefined;
let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await database?.drop();
});

async function scrape(adminUrl: string): Promise<{ text: string; families: MetricFamily[] }> {
  const res = await fetch(`${adminUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, families: parsePrometheusText(text) };
}

function sample(
  families: MetricFamily[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const family = families.find((candidate) => candidate.name === name);
  const found = family?.metrics.find((metric) =>
    Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value),
  );
  if (found === undefined) return undefined;
  return Number(found.value ?? found.count);
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*"';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(?:${LABEL}(?:,${LABEL})*)?\\})? (\\S+)$`);

/**
 * Checks the Prometheus text exposition format (0.0.4) line by line, stricter than the parser:
 * HELP/TYPE comments, sample syntax, float values, and every sample under a declared family.
 */
function expectValidExposition(text: string): void {
  expect(text.endsWith('\n')).toBe(true);
  const types = new Map<string, string>();
  for (const line of text.slice(0, -1).split('\n')) {
    // Empty lines are allowed and ignored (exposition format 0.0.4).
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      expect(types.has(type[1] as string), `one TYPE line for ${type[1]}`).toBe(false);
      types.set(type[1] as string, type[2] as string);
      continue;
    }
    const sample = SAMPLE.exec(line);
    expect(sample, `a sample line: ${line}`).not.toBeNull();
    const [, name, value] = sample as RegExpExecArray;
    expect(Number.isNaN(Number(value)) && value !== 'NaN', `a float: ${line}`).toBe(false);
    const family = [name, name?.replace(/_(bucket|sum|count)$/, '')].find(
      (candidate) => candidate !== undefined && types.has(candidate),
    );
    expect(family, `a declared family for ${name}`).toBeDefined();
  }
}

/** The metric names of the METRICS.md table (the `process_*` row stands for prom-client's own). */
function documentedNames(): string[] {
  const doc = readFileSync(join(import.meta.dirname, '..', 'METRICS.md'), 'utf8');
  return [...doc.matchAll(/^\| `(m2m_auth_[a-z_]+)` \|/gm)].map((match) => match[1] as string);
}

describe('GET /metrics on the admin listener', { timeout: 90_000 }, () => {
  it('parses and counts a bounded load in every documented family', async () => {
    database = await createTestDatabase('sqlite');
    const store = await openStore({ databaseUrl: database.url, kek: randomKek() });
    const { client, clientSecret } = await store.clients.create({
      name: 'ms_caller',
      audiences: ['ms_doctor'],
    });
    await store.keys.generate('ES256', { state: 'active' });
    await store.keys.rotate({ propagationSec: 3600 });
    server = await startServer({
      store,
      port: 0,
      adminPort: 0,
      metrics: { clientIdLabel: true },
      auditStore: { flushIntervalMs: 50 },
      authFailureLimit: { maxPerClientAndAddress: LIMIT_PER_CLIENT_AND_ADDRESS },
    });
    const admin = server.adminUrl as string;
    const publicRes = await fetch(`${server.url}/metrics`);
    expect(publicRes.status).toBe(404);

    for (let i = 0; i < ISSUED; i++) {
      const res = await requestClientCredentials(server.url, client.clientId, clientSecret);
      expect(res.status).toBe(200);
    }
    const statuses: number[] = [];
    for (let i = 0; i < WRONG_SECRET; i++) {
      statuses.push(
        (await requestClientCredentials(server.url, client.clientId, 'not-the-secret')).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    expect(
      (await requestClientCredentials(server.url, '00000000-0000-4000-8000-000000000000', 'x'))
        .status,
    ).toBe(401);
    for (let i = 0; i < JWKS_REQUESTS; i++) {
      expect((await fetch(`${server.url}/.well-known/jwks.json`)).status).toBe(200);
    }
    // The audit writer flushes on its timer: wait (bounded) until the scrape shows the writes.
    let scraped = await scrape(admin);
    for (let i = 0; i < 100; i++) {
      if ((sample(scraped.families, 'm2m_auth_audit_events_written_total') ?? 0) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
      scraped = await scrape(admin);
    }
    const { families, text } = scraped;
    expectValidExposition(text);

    const exposed = families.map((family) => family.name);
    for (const name of SERVER_METRIC_NAMES) expect(exposed, name).toContain(name);
    for (const name of ['process_cpu_user_seconds_total', 'nodejs_heap_size_used_bytes']) {
      expect(exposed, name).toContain(name);
    }
    expect(
      sample(families, 'm2m_auth_token_requests_total', {
        outcome: 'issued',
        auth_method: 'client_secret_basic',
        error: 'none',
        client_id: client.clientId,
      }),
    ).toBe(ISSUED);
    expect(
      sample(families, 'm2m_auth_token_requests_total', {
        outcome: 'refused',
        error: 'invalid_client',
        client_id: '',
      }),
    ).toBe(LIMIT_PER_CLIENT_AND_ADDRESS + 1);
    expect(
      sample(families, 'm2m_auth_token_requests_total', {
        outcome: 'refused',
        error: 'temporarily_unavailable',
      }),
    ).toBe(WRONG_SECRET - LIMIT_PER_CLIENT_AND_ADDRESS);
    const histogram = families.find(
      (family) => family.name === 'm2m_auth_token_request_duration_seconds',
    );
    expect(histogram?.type).toBe('HISTOGRAM');
    expect(text).toContain(
      `m2m_auth_token_request_duration_seconds_count{outcome="issued"} ${ISSUED}`,
    );
    expect(
      sample(families, 'm2m_auth_client_auth_failures_total', { reason: 'secret_mismatch' }),
    ).toBe(LIMIT_PER_CLIENT_AND_ADDRESS);
    expect(
      sample(families, 'm2m_auth_client_auth_failures_total', { reason: 'unknown_client' }),
    ).toBe(1);
    expect(
      sample(families, 'm2m_auth_auth_failure_limit_blocks_total', {
        limit: 'client_and_address',
      }),
    ).toBe(WRONG_SECRET - LIMIT_PER_CLIENT_AND_ADDRESS);
    expect(sample(families, 'm2m_auth_jwks_requests_total', { status: '200' })).toBe(JWKS_REQUESTS);
    expect(
      sample(families, 'm2m_auth_signing_key_age_seconds', { alg: 'ES256' }),
    ).toBeGreaterThanOrEqual(0);
    const nextChange = sample(families, 'm2m_auth_signing_key_next_change_seconds', {
      change: 'next_key_activation',
    });
    expect(nextChange).toBeGreaterThan(0);
    expect(nextChange).toBeLessThanOrEqual(3600);
    expect(sample(families, 'm2m_auth_view_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(families, 'm2m_auth_database_errors_total', { operation: 'request' })).toBe(0);
    expect(sample(families, 'm2m_auth_audit_events_written_total')).toBeGreaterThan(0);
    expect(sample(families, 'm2m_auth_audit_events_dropped_total')).toBe(0);
    // No label carries input: the wrong secrets and the unknown client_id appear nowhere.
    expect(text).not.toContain('not-the-secret');
    expect(text).not.toContain('00000000-0000-4000-8000-000000000000');
  });

  it('documents exactly the families it exposes (METRICS.md)', () => {
    expect([...documentedNames()].sort()).toEqual([...SERVER_METRIC_NAMES].sort());
  });

  it('has no client_id label unless turned on', async () => {
    database = await createTestDatabase('sqlite');
    server = await startServer({
      databaseUrl: database.url,
      kek: randomKek(),
      port: 0,
      adminPort: 0,
    });
    const { store } = server;
    const { client, clientSecret } = await store.clients.create({
      name: 'ms_caller',
      audiences: ['ms_doctor'],
    });
    expect((await requestClientCredentials(server.url, client.clientId, clientSecret)).status).toBe(
      200,
    );
    const { families } = await scrape(server.adminUrl as string);
    const family = families.find((candidate) => candidate.name === 'm2m_auth_token_requests_total');
    expect(family?.metrics).toHaveLength(1);
    expect(Object.keys(family?.metrics[0]?.labels ?? {}).sort()).toEqual([
      'auth_method',
      'error',
      'outcome',
    ]);
  });
});
