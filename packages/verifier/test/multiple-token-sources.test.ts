/**
 * One verifier, several token sources: an Express receiver accepts real Laravel Passport tokens
 * (test/fixtures/passport, verified with Passport's oauth-public.key) and tokens of a real
 * m2m-auth authorization server (by its JWKS URL) at the same time. Each token is routed by its
 * `typ` and `iss` to exactly one source, whose keys alone verify it; `req.auth.source` says which.
 * `Date` is faked a minute after the fixtures were made, so the tests outlive their expiry.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type RunningServer, startServer } from '@m2m-auth/server';
import { createVerifier, type Verifier, type VerifierOptions } from '@m2m-auth/verifier';
import { requireToken } from '@m2m-auth/verifier/express';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { codeOf } from './helpers/code-of.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'passport');
const PASSPORT_KEY = join(FIXTURES, 'oauth-public.key');
const fixtures = JSON.parse(readFileSync(join(FIXTURES, 'tokens.json'), 'utf8')) as {
  generated_at: number;
  tokens: Record<
    string,
    { token: string; valid: boolean; issued_with: { client_id: string; scopes: string[] } }
  >;
};
const NOW = new Date((fixtures.generated_at + 60) * 1000);

let auth: RunningServer;
let client: { clientId: string; clientSecret: string };
let verifier: Verifier;
let receiver: Server;
let receiverUrl: string;

function sources(issuer: string): VerifierOptions {
  return {
    sources: [
      {
        name: 'm2m-auth',
        issuer,
        audience: 'ms_doctor',
        jwksUri: `${issuer}/.well-known/jwks.json`,
      },
      { name: 'passport', tokenFormat: 'passport', publicKeyPath: PASSPORT_KEY },
    ],
    logger: false,
  };
}

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
  auth = await startServer({ databaseUrl: 'sqlite::memory:', port: 0, host: '127.0.0.1' });
  const created = await auth.store.clients.create({
    name: 'ms_admin',
    scopes: ['doctors:read'],
    audiences: ['ms_doctor'],
  });
  client = { clientId: created.client.clientId, clientSecret: created.clientSecret };
  verifier = createVerifier(sources(auth.issuer));
  const app = express();
  app.get('/whoami', requireToken({ verifier }), (req, res) => {
    res.json({ client: req.auth?.clientId, source: req.auth?.source, scopes: req.auth?.scopes });
  });
  app.get('/doctors', requireToken({ verifier, scopes: ['doctors:read'] }), (req, res) => {
    res.json({ client: req.auth?.clientId, source: req.auth?.source });
  });
  await new Promise<void>((resolve) => {
    receiver = app.listen(0, '127.0.0.1', () => resolve());
  });
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await auth?.close();
  vi.useRealTimers();
});

async function m2mToken(): Promise<string> {
  const res = await fetch(`${auth.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function call(path: string, token: string) {
  const res = await fetch(`${receiverUrl}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    status: res.status,
    challenge: res.headers.get('www-authenticate'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

describe('one Express receiver, two token sources at once', () => {
  it('accepts every valid real Passport token and m2m-auth tokens, interleaved, saying which source', async () => {
    const valid = Object.values(fixtures.tokens).filter((f) => f.valid);
    expect(valid.length).toBeGreaterThanOrEqual(8);
    for (const fixture of valid) {
      const passport = await call('/whoami', fixture.token);
      expect(passport).toMatchObject({
        status: 200,
        body: {
          client: fixture.issued_with.client_id,
          source: 'passport',
          scopes: fixture.issued_with.scopes,
        },
      });
      const ours = await call('/doctors', await m2mToken());
      expect(ours).toMatchObject({
        status: 200,
        body: { client: client.clientId, source: 'm2m-auth' },
      });
    }
  });

  it('keeps each source strict: expired Passport tokens and missing scopes are refused', async () => {
    const expired = Object.values(fixtures.tokens).filter((f) => !f.valid);
    for (const fixture of expired) {
      const res = await call('/whoami', fixture.token);
      expect(res.status).toBe(401);
      expect(res.challenge).toContain('error="invalid_token"');
    }
    const noScopes = fixtures.tokens['v9_no_scopes']!.token;
    expect((await call('/doctors', noScopes)).status).toBe(403);
  });

  it("routes by typ and iss, never by trying keys: a Passport token relabelled at+jwt is not tried with Passport's key", async () => {
    const [, payload, signature] = fixtures.tokens['v9_doctors_read']!.token.split('.');
    const header = Buffer.from(JSON.stringify({ typ: 'at+jwt', alg: 'RS256' })).toString(
      'base64url',
    );
    const relabelled = `${header}.${payload}.${signature}`;
    expect(await codeOf(verifier.verify(relabelled, { currentDate: NOW }))).toBe(
      'ERR_ISSUER_INVALID',
    );
    expect((await call('/whoami', relabelled)).status).toBe(401);

    const [, ourPayload, ourSignature] = (await m2mToken()).split('.');
    const asPassport = `${Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256' })).toString('base64url')}.${ourPayload}.${ourSignature}`;
    // Routed to the Passport source (typ JWT), whose key did not sign it: refused there.
    expect(await codeOf(verifier.verify(asPassport))).toBe('ERR_SIGNATURE_INVALID');

    const unknownTyp = `${Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'RS256' })).toString('base64url')}.${ourPayload}.${ourSignature}`;
    expect(await codeOf(verifier.verify(unknownTyp))).toBe('ERR_TOKEN_TYPE_INVALID');
  });

  it('refuses sources a token could not be told apart by, and per-source options at the top level', () => {
    expect(() =>
      createVerifier({
        sources: [
          { name: 'a', tokenFormat: 'passport', publicKeyPath: PASSPORT_KEY },
          { name: 'b', tokenFormat: 'passport', publicKeyPath: PASSPORT_KEY },
        ],
        logger: false,
      }),
    ).toThrow(/take the same tokens/);
    expect(() =>
      createVerifier({
        issuer: 'https://auth.example',
        sources: [{ name: 'p', tokenFormat: 'passport', publicKeyPath: PASSPORT_KEY }],
      }),
    ).toThrow(/issuer belongs in each of sources/);
    expect(() =>
      createVerifier({
        sources: [
          { name: 'p', tokenFormat: 'passport', publicKeyPath: PASSPORT_KEY },
          { name: 'p', tokenFormat: 'passport', issuer: 'x', publicKeyPath: PASSPORT_KEY },
        ],
      }),
    ).toThrow(/two token sources are named p/);
    expect(() => createVerifier({ sources: [] })).toThrow(/non-empty list/);
  });
});
