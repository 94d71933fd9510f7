/**
 * Several auth-service instances on one PostgreSQL database: two `m2m-auth serve` processes and
 * the CLI as separate processes, as in production behind a load balancer. Every change made through
 * the CLI must take effect on both instances within the documented bound (the revision check
 * interval, 1 s by default, well under 5 s), with no restart, and both must publish the same keys.
 */

import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  requestToken,
  runCliJson,
  type ServeProcess,
  startServeProcess,
} from './helpers/serve-process.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  type TestDatabase,
} from './helpers/test-database.js';

/** The propagation bound docs/postgresql.md documents, milliseconds. */
const PROPAGATION_BOUND_MS = 5_000;
/** Shared by both instances, as behind a load balancer. */
const ISSUER = 'http://auth.m2m.test';

/** Propagation times observed, printed at the end (they are not asserted beyond the bound). */
const observed: { change: string; instance: number; ms: number }[] = [];

describe.skipIf(dialectUnavailable('postgres'))(
  'two auth-service instances on one PostgreSQL database',
  { timeout: 90_000 },
  () => {
    let database: TestDatabase;
    let env: NodeJS.ProcessEnv;
    let instances: ServeProcess[] = [];
    const cwd = process.cwd();
    const cli = <T>(...args: string[]) => runCliJson<T>(args, { env, cwd });

    beforeAll(async () => {
      database = await createTestDatabase('postgres');
      env = { ...process.env, DATABASE_URL: database.url, M2M_AUTH_KEK: randomKek() };
      delete env['M2M_AUTH_DEBUG'];
      // Both start at once on a database without schema or key: the migrations and the first key
      // race, as they do when an orchestrator starts two replicas.
      // Polling an instance until it follows a change makes failed authentications in the
      // meantime; the failure limits (tested on their own) would turn them into 429s.
      instances = await Promise.all(
        [0, 1].map(() =>
          startServeProcess(['--issuer', ISSUER, '--no-auth-failure-limit'], { env, cwd }),
        ),
      );
    });
    afterAll(async () => {
      const codes = await Promise.all(instances.map((instance) => instance.stop()));
      await database?.drop();
      if (observed.length > 0) {
        console.info(
          `propagation observed (ms after the CLI command returned, bound ${PROPAGATION_BOUND_MS}):\n${observed
            .map((o) => `  ${o.change} → instance ${o.instance}: ${o.ms} ms`)
            .join('\n')}`,
        );
      }
      expect(codes).toEqual(instances.map(() => 0));
    });

    /** Resolves once `check` passes on every instance; records how long each took. */
    async function onEveryInstance(
      change: string,
      check: (instance: ServeProcess) => Promise<void>,
    ): Promise<void> {
      const since = performance.now();
      await Promise.all(
        instances.map(async (instance, index) => {
          for (;;) {
            try {
              await check(instance);
              observed.push({ change, instance: index, ms: Math.round(performance.now() - since) });
              return;
            } catch (err) {
              if (performance.now() - since > PROPAGATION_BOUND_MS) {
                throw new Error(
                  `${change}: instance ${index} did not follow within ${PROPAGATION_BOUND_MS} ms: ${String(err)}`,
                );
              }
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          }
        }),
      );
    }

    async function jwksOf(instance: ServeProcess): Promise<JSONWebKeySet> {
      const res = await fetch(`${instance.url}/.well-known/jwks.json`, {
        signal: AbortSignal.timeout(10_000),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as JSONWebKeySet;
    }

    const kidsOf = (jwks: JSONWebKeySet) => jwks.keys.map((key) => key.kid).sort();

    async function tokenFrom(
      instance: ServeProcess,
      credentials: { clientId: string; clientSecret: string },
      scope?: string,
    ): Promise<{ status: number; body: Record<string, unknown> }> {
      const res = await requestToken(
        instance.url,
        credentials,
        scope === undefined ? {} : { scope },
      );
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    }

    async function createClient(name: string, scopes: string) {
      const created = await cli<{ client_id: string; client_secret: string }>(
        'client',
        'create',
        name,
        '--audiences',
        'ms_doctor',
        '--scopes',
        scopes,
      );
      return { clientId: created.client_id, clientSecret: created.client_secret };
    }

    it('migrates the fresh database once and agrees on one active signing key when both start at once', async () => {
      const keys = await cli<{ kid: string; state: string }[]>('keys', 'list');
      // One key, active: the instance that lost the race serves the winner's key.
      expect(keys.map((key) => key.state)).toEqual(['active']);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ name: string }>(
          'select name from m2m_migration order by name',
        );
        expect(rows.map((row) => row.name)).toEqual([...new Set(rows.map((row) => row.name))]);
        expect(rows.map((row) => row.name)).toContain('0001_initial');
      } finally {
        await client.end();
      }
      const [first, second] = await Promise.all(instances.map(jwksOf));
      expect(kidsOf(first!)).toEqual(kidsOf(second!));
      for (const instance of instances) {
        const health = await fetch(`${instance.url}/healthz`);
        expect(await health.json()).toEqual({ status: 'ok' });
      }
    });

    it('serves a client created through the CLI on both instances within the bound, each token verifying against the other’s JWKS', async () => {
      const credentials = await createClient('ms_created', 'doctors:read');
      const tokens: string[] = [];
      await onEveryInstance('client create', async (instance) => {
        const { status, body } = await tokenFrom(instance, credentials);
        expect(status).toBe(200);
        tokens[instances.indexOf(instance)] = String(body.access_token);
      });
      const jwksSets = await Promise.all(instances.map(jwksOf));
      for (const [i, token] of tokens.entries()) {
        const other = jwksSets[1 - i]!;
        const { payload } = await jwtVerify(token, createLocalJWKSet(other), {
          issuer: ISSUER,
          audience: 'ms_doctor',
          typ: 'at+jwt',
        });
        expect(payload.client_id).toBe(credentials.clientId);
      }
    });

    it('applies a scope change made through the CLI on both instances within the bound', async () => {
      const credentials = await createClient('ms_updated', 'doctors:read');
      // A new client reaches each instance with the next revision check, like any change.
      await onEveryInstance('client create', async (instance) => {
        expect((await tokenFrom(instance, credentials, 'doctors:write')).status).toBe(400);
      });
      await cli('client', 'update', 'ms_updated', '--scopes', 'doctors:read,doctors:write');
      await onEveryInstance('client update', async (instance) => {
        const { status, body } = await tokenFrom(instance, credentials, 'doctors:write');
        expect(status).toBe(200);
        expect(body.scope).toBe('doctors:write');
      });
    });

    it('refuses the old secret and accepts the new one on both instances within the bound after rotate-secret', async () => {
      const old = await createClient('ms_resecreted', 'doctors:read');
      await onEveryInstance('client create', async (instance) => {
        expect((await tokenFrom(instance, old)).status).toBe(200);
      });
      const rotated = await cli<{ client_secret: string }>(
        'client',
        'rotate-secret',
        'ms_resecreted',
        '--grace',
        '0',
      );
      const fresh = { clientId: old.clientId, clientSecret: rotated.client_secret };
      await onEveryInstance('client rotate-secret', async (instance) => {
        expect((await tokenFrom(instance, old)).status).toBe(401);
        expect((await tokenFrom(instance, fresh)).status).toBe(200);
      });
    });

    it('publishes a rotated key on both JWKS within the bound, and both sign with it once activated', async () => {
      const credentials = await createClient('ms_rotation', 'doctors:read');
      const before = kidsOf(await jwksOf(instances[0]!));
      const rotation = await cli<{ created: { kid: string }[] }>('keys', 'rotate');
      const kid = rotation.created[0]?.kid;
      expect(kid).toBeDefined();
      await onEveryInstance('keys rotate (published)', async (instance) => {
        expect(kidsOf(await jwksOf(instance))).toEqual([...before, kid].sort());
      });

      await cli('keys', 'rotate', '--now');
      await onEveryInstance('keys rotate --now (signing)', async (instance) => {
        const { status, body } = await tokenFrom(instance, credentials);
        expect(status).toBe(200);
        expect(decodeProtectedHeader(String(body.access_token)).kid).toBe(kid);
      });
      const [first, second] = await Promise.all(instances.map(jwksOf));
      expect(first).toEqual(second);
    });

    it('drops a revoked key from both JWKS within the bound', async () => {
      // With an active key, a generated one is published as `next`.
      const generated = await cli<{ kid: string; state: string }>('keys', 'generate');
      expect(generated.state).toBe('next');
      await onEveryInstance('keys generate', async (instance) => {
        expect(kidsOf(await jwksOf(instance))).toContain(generated.kid);
      });
      // "--": a kid can begin with "-" (1 in 64).
      await cli('keys', 'revoke', '--', generated.kid);
      await onEveryInstance('keys revoke', async (instance) => {
        expect(kidsOf(await jwksOf(instance))).not.toContain(generated.kid);
      });
    });

    it('stops issuing to a client revoked through the CLI on both instances within the bound', async () => {
      const credentials = await createClient('ms_revoked', 'doctors:read');
      await onEveryInstance('client create', async (instance) => {
        expect((await tokenFrom(instance, credentials)).status).toBe(200);
      });
      await cli('client', 'revoke', 'ms_revoked');
      await onEveryInstance('client revoke', async (instance) => {
        const { status, body } = await tokenFrom(instance, credentials);
        expect(status).toBe(401);
        expect(body.error).toBe('invalid_client');
      });
    });
  },
);
