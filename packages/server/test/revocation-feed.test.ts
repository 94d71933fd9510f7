/**
 * The revocation feed on SQLite and PostgreSQL with two `m2m-auth serve` instances sharing the
 * database, and the CLI as a separate process: `client revoke` and `token revoke <jti>` appear in
 * `GET /revocations` of both instances within the revision-check bound, with the same ETag, and a
 * verifier polling one instance refuses the covered tokens while other tokens keep passing.
 */

import { openStore } from '@m2m-auth/server';
import { createVerifier, VerifierError } from '@m2m-auth/verifier';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, rejection } from '../../../test/helpers/async.js';
import { basicAuth } from './helpers/auth-server.js';
import { expectStoreError } from './helpers/expect-store-error.js';
import {
  requestToken,
  runCli,
  runCliJson,
  type ServeProcess,
  startServeProcess,
} from './helpers/serve-process.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  TEST_DIALECTS,
  type TestDatabase,
} from './helpers/test-database.js';

const ISSUER = 'http://auth.m2m.test';
/** Revision checks run every second on PostgreSQL (before every request on SQLite). */
const PROPAGATION_BOUND_MS = 5_000;

interface Feed {
  iss: string;
  revoked_clients: { client_id: string; revoked_at: number; exp: number }[];
  revoked_tokens: { jti: string; revoked_at: number; exp: number }[];
}

/** Waits for `check` to stop throwing, within the propagation bound. */
function propagated<T>(what: string, check: () => Promise<T>): Promise<T> {
  return eventually(what, check, { limitMs: PROPAGATION_BOUND_MS, intervalMs: 50 });
}

describe.each(TEST_DIALECTS)('revocation feed on %s with two instances', (dialect) => {
  describe.skipIf(dialectUnavailable(dialect))(dialect, { timeout: 90_000 }, () => {
    let database: TestDatabase;
    let env: NodeJS.ProcessEnv;
    let instances: ServeProcess[] = [];
    const cwd = process.cwd();
    const cli = <T>(...args: string[]) => runCliJson<T>(args, { env, cwd });

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      env = { ...process.env, DATABASE_URL: database.url, M2M_AUTH_KEK: randomKek() };
      delete env['M2M_AUTH_DEBUG'];
      await cli('migrate');
      instances = await Promise.all(
        [0, 1].map(() => startServeProcess(['--issuer', ISSUER], { env, cwd })),
      );
    });
    afterAll(async () => {
      const codes = await Promise.all(instances.map((instance) => instance.stop()));
      await database?.drop();
      expect(codes).toEqual(instances.map(() => 0));
    });

    async function feedOf(instance: ServeProcess): Promise<{ feed: Feed; etag: string }> {
      const res = await fetch(`${instance.url}/revocations`, {
        signal: AbortSignal.timeout(10_000),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      return { feed: (await res.json()) as Feed, etag: String(res.headers.get('etag')) };
    }

    async function createClient(name: string) {
      const created = await cli<{ client_id: string; client_secret: string }>(
        'client',
        'create',
        name,
        '--audiences',
        'ms_doctor',
        '--scopes',
        'doctors:read',
      );
      return { clientId: created.client_id, clientSecret: created.client_secret };
    }

    async function tokenOf(
      instance: ServeProcess,
      credentials: { clientId: string; clientSecret: string },
    ): Promise<string> {
      const res = await requestToken(instance.url, credentials);
      expect(res.status).toBe(200);
      return String(((await res.json()) as { access_token: string }).access_token);
    }

    it('serves an empty feed with a strong ETag, the same on both instances, and answers If-None-Match with 304', async () => {
      const [first, second] = await Promise.all(instances.map(feedOf));
      expect(first!.feed).toEqual({ iss: ISSUER, revoked_clients: [], revoked_tokens: [] });
      expect(first!.etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      expect(second!.etag).toBe(first!.etag);
      const again = await fetch(`${instances[1]!.url}/revocations`, {
        headers: { 'if-none-match': first!.etag },
      });
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(first!.etag);
      expect(await again.text()).toBe('');
      const post = await fetch(`${instances[0]!.url}/revocations`, { method: 'POST' });
      expect(post.status).toBe(404);
    });

    it('lists a client revoked through the CLI on both instances; a verifier polling one refuses its tokens and keeps accepting others', async () => {
      const revoked = await createClient('ms_compromised');
      const other = await createClient('ms_other');
      const [tokenA, tokenB] = await propagated('new clients on both instances', async () => [
        await tokenOf(instances[0]!, revoked),
        await tokenOf(instances[1]!, other),
      ]);
      const warnings: string[] = [];
      const verifier = createVerifier({
        issuer: ISSUER,
        audience: 'ms_doctor',
        jwksUri: `${instances[1]!.url}/.well-known/jwks.json`,
        revocationsUri: `${instances[1]!.url}/revocations`,
        revocationsPollIntervalSec: 0.2,
        logger: { warn: (message) => warnings.push(message) },
      });
      try {
        expect((await verifier.verify(tokenA!)).client_id).toBe(revoked.clientId);
        expect((await verifier.verify(tokenB!)).client_id).toBe(other.clientId);
        expect(verifier.authenticateCached(`Bearer ${tokenA}`)?.clientId).toBe(revoked.clientId);

        const before = await feedOf(instances[0]!);
        const revokedAt = Math.floor(Date.now() / 1000);
        await cli('client', 'revoke', 'ms_compromised');
        for (const instance of instances) {
          await propagated('client revocation in the feed', async () => {
            const { feed, etag } = await feedOf(instance);
            expect(etag).not.toBe(before.etag);
            expect(feed.revoked_clients).toHaveLength(1);
            const [entry] = feed.revoked_clients;
            expect(entry!.client_id).toBe(revoked.clientId);
            expect(entry!.revoked_at).toBeGreaterThanOrEqual(revokedAt - 1);
            // Leaves once no token of it can be valid: revocation + the longest TTL + leeway.
            expect(entry!.exp).toBe(entry!.revoked_at + 86_400 + 60);
          });
        }
        const [first, second] = await Promise.all(instances.map(feedOf));
        expect(second!.etag).toBe(first!.etag);

        await propagated('verifier refusal', async () => {
          const err = await rejection(verifier.verify(tokenA!), VerifierError);
          expect(err.code).toBe('ERR_TOKEN_REVOKED');
          expect(err.bearerError).toBe('invalid_token');
        });
        expect(verifier.authenticateCached(`Bearer ${tokenA}`)).toBeUndefined();
        expect((await verifier.verify(tokenB!)).client_id).toBe(other.clientId);
        expect(verifier.revocationStatus()).toMatchObject({
          stale: false,
          revokedClients: 1,
          revokedTokens: 0,
          lastError: undefined,
        });
        expect(warnings).toEqual([]);

        // One token of the other client, by jti; its other tokens keep passing.
        const tokenB2 = await tokenOf(instances[0]!, other);
        expect((await verifier.verify(tokenB2)).client_id).toBe(other.clientId);
        const { jti } = decodeJwt(tokenB2);
        const result = await cli<{ jti: string; revoked_at: number; feed_until: number }>(
          'token',
          'revoke',
          String(jti),
        );
        expect(result.jti).toBe(jti);
        expect(result.feed_until).toBe(result.revoked_at + 86_400 + 60);
        for (const instance of instances) {
          await propagated('token revocation in the feed', async () => {
            const { feed } = await feedOf(instance);
            expect(feed.revoked_tokens.map((entry) => entry.jti)).toEqual([jti]);
          });
        }
        await propagated('verifier refusal of the jti', async () => {
          expect((await rejection(verifier.verify(tokenB2), VerifierError)).code).toBe(
            'ERR_TOKEN_REVOKED',
          );
        });
        expect((await verifier.verify(tokenB!)).client_id).toBe(other.clientId);

        // Revoking it again changes nothing.
        const again = await cli<{ revoked_at: number }>('token', 'revoke', String(jti));
        expect(again.revoked_at).toBe(result.revoked_at);
      } finally {
        verifier.close();
      }
    });

    it('revokes through POST /oauth/revoke on one instance; introspection on the other says inactive within the bound', async () => {
      const created = await cli<{ client_id: string; client_secret: string }>(
        'client',
        'create',
        'gateway',
        '--scopes',
        'm2m-auth:introspect',
      );
      const gateway = { clientId: created.client_id, clientSecret: created.client_secret };
      const caller = await createClient('ms_revoker');
      const token = await propagated('new client on instance 0', () =>
        tokenOf(instances[0]!, caller),
      );
      const introspect = async (instance: ServeProcess) => {
        const res = await fetch(`${instance.url}/oauth/introspect`, {
          method: 'POST',
          headers: {
            authorization: basicAuth(gateway.clientId, gateway.clientSecret),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ token }),
        });
        expect(res.status).toBe(200);
        return (await res.json()) as { active: boolean; client_id?: string };
      };
      for (const instance of instances) {
        await propagated('gateway on every instance', async () => {
          expect(await introspect(instance)).toMatchObject({
            active: true,
            client_id: caller.clientId,
          });
        });
      }
      const res = await fetch(`${instances[0]!.url}/oauth/revoke`, {
        method: 'POST',
        headers: {
          authorization: basicAuth(caller.clientId, caller.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token }),
      });
      expect(res.status).toBe(200);
      for (const instance of instances) {
        await propagated('revocation seen by introspection', async () => {
          expect(await introspect(instance)).toEqual({ active: false });
        });
        await propagated('revocation in the feed', async () => {
          const { feed } = await feedOf(instance);
          expect(feed.revoked_tokens.map((entry) => entry.jti)).toContain(decodeJwt(token).jti);
        });
      }
    });

    it('refuses a malformed jti with a clear error and writes nothing', async () => {
      const before = await feedOf(instances[0]!);
      const failure = await runCli(['token', 'revoke', 'has space'], { env, cwd }).then(
        () => '',
        (err: Error) => err.message,
      );
      expect(failure).toMatch(/token id must be 1-255 printable ASCII characters/);
      const after = await feedOf(instances[0]!);
      expect(after.etag).toBe(before.etag);
    });

    it('drops entries once no token they cover can be valid', async () => {
      let now = Math.floor(Date.now() / 1000);
      const store = await openStore({
        databaseUrl: database.url,
        kek: env['M2M_AUTH_KEK']!,
        now: () => now,
      });
      try {
        await expectStoreError(store.revocations.revokeToken(''), 'ERR_INVALID_TOKEN_ID');
        await store.revocations.revokeToken('short-lived', { expiresAt: now + 10 });
        const listed = await store.revocations.list(now);
        expect(listed.tokens.map((entry) => entry.jti)).toContain('short-lived');
        expect(listed.clients).toHaveLength(1);
        const later = await store.revocations.list(now + 71);
        expect(later.tokens.map((entry) => entry.jti)).not.toContain('short-lived');
        expect((await store.revocations.list(now + 86_400)).clients).toHaveLength(1);
        // A day (the longest TTL) + leeway later every entry has left.
        expect(await store.revocations.list(now + 86_400 + 61)).toEqual({
          clients: [],
          tokens: [],
        });
        // Expired rows are purged on the next revocation.
        now += 86_400 + 61;
        await store.revocations.revokeToken('next');
        expect((await store.revocations.list(now)).tokens.map((entry) => entry.jti)).toEqual([
          'next',
        ]);
      } finally {
        await store.close();
      }
    });
  });
});
