import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeJwt,
  postForm,
  readResponse,
  startTestAuthServer,
  type TestAuthServer,
} from './helpers/auth-server.js';
import {
  assertionClaims,
  assertionParams,
  generateTestKeyPair,
  signAssertion,
  signRaw,
  type TestKeyPair,
} from './helpers/client-assertion.js';

let auth: TestAuthServer;
const logLines: string[] = [];
let jwksServer: Server;
let jwksUrl: string;
/** What the loopback jwks_uri answers; tests change it. */
let jwksAnswer: { status: number; body: string; headers?: Record<string, string> } = {
  status: 200,
  body: '{"keys":[]}',
};
let jwksHits = 0;

beforeAll(async () => {
  jwksServer = createServer((_req, res) => {
    jwksHits += 1;
    res.writeHead(jwksAnswer.status, { 'content-type': 'application/json', ...jwksAnswer.headers });
    res.end(jwksAnswer.body);
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  auth = await startTestAuthServer({
    logger: { level: 'info', stream },
    clientJwksUri: { allowedHosts: [new URL(jwksUrl).host], cooldownSec: 0, maxBytes: 4096 },
    authFailureLimit: { maxPerClientAndAddress: 1000, maxPerAddress: 1000 },
  });
});
afterAll(async () => {
  await auth?.close();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

let counter = 0;
async function keyClient(
  alg: 'RS256' | 'PS256' | 'ES256' | 'EdDSA' = 'RS256',
): Promise<{ clientId: string; keys: TestKeyPair }> {
  counter += 1;
  const keys = generateTestKeyPair(alg === 'PS256' ? 'RS256' : alg);
  const client = await auth.cli.clients.createWithPublicKeys(
    { name: `pkjwt_${counter}`, audiences: ['ms_doctor'], scopes: ['doctors:read'] },
    { publicKeys: [keys.publicPem], ...(alg === 'PS256' ? { alg } : {}) },
  );
  return { clientId: client.clientId, keys };
}

async function present(assertion: string, extra: [string, string][] = []) {
  return readResponse(await postForm(auth.tokenUrl, assertionParams(assertion, extra)));
}

/** The audit detail of the last refusal logged. */
function lastRefusalDetail(): unknown {
  for (let i = logLines.length - 1; i >= 0; i--) {
    const entry = JSON.parse(logLines[i] as string) as {
      audit?: { outcome: string; detail: unknown };
    };
    if (entry.audit?.outcome === 'refused') return entry.audit.detail;
  }
  return undefined;
}

describe('private_key_jwt client authentication (RFC 7523 §2.2, RFC 7521 §4.2)', () => {
  it.each(['RS256', 'PS256', 'ES256', 'EdDSA'] as const)(
    'issues a token to a %s client whose assertion names the issuer as aud',
    async (alg) => {
      const { clientId, keys } = await keyClient(alg);
      const res = await present(
        signAssertion(assertionClaims(clientId, auth.issuer), keys.privateKey, alg),
      );
      expect(res.status).toBe(200);
      expect(decodeJwt(String(res.body.access_token)).payload.client_id).toBe(clientId);
    },
  );

  it('accepts typ client-authentication+jwt, no typ, and a body client_id naming the same client', async () => {
    const { clientId, keys } = await keyClient();
    const claims = () => assertionClaims(clientId, auth.issuer);
    for (const typ of [
      'client-authentication+jwt',
      'application/client-authentication+jwt',
      undefined,
    ]) {
      const res = await present(signAssertion(claims(), keys.privateKey, 'RS256', { typ }));
      expect(res.status).toBe(200);
    }
    const res = await present(signAssertion(claims(), keys.privateKey, 'RS256'), [
      ['client_id', clientId],
    ]);
    expect(res.status).toBe(200);
  });

  it('accepts the token endpoint URL as aud by default (RFC 7523 §3)', async () => {
    const { clientId, keys } = await keyClient();
    const res = await present(
      signAssertion(assertionClaims(clientId, auth.tokenUrl), keys.privateKey, 'RS256'),
    );
    expect(res.status).toBe(200);
  });

  it('accepts either of two registered keys during a key change, then only the new one', async () => {
    const { clientId, keys: oldKeys } = await keyClient('ES256');
    const newKeys = generateTestKeyPair('ES256');
    await auth.cli.clients.setPublicKeys(clientId, {
      publicKeys: [oldKeys.publicPem, newKeys.publicPem],
    });
    for (const pair of [oldKeys, newKeys]) {
      const res = await present(
        signAssertion(assertionClaims(clientId, auth.issuer), pair.privateKey, 'ES256'),
      );
      expect(res.status).toBe(200);
    }
    await auth.cli.clients.setPublicKeys(clientId, { publicKeys: [newKeys.publicPem] });
    const refused = await present(
      signAssertion(assertionClaims(clientId, auth.issuer), oldKeys.privateKey, 'ES256'),
    );
    expect(refused.status).toBe(401);
    expect(lastRefusalDetail()).toBe('assertion signature does not verify');
  });

  const b64 = (text: string) => Buffer.from(text).toString('base64url');
  const now = () => Math.floor(Date.now() / 1000);

  /** Each case: how to spoil the assertion, and the reason the audit must record. */
  const refusals: [
    string,
    (c: { clientId: string; keys: TestKeyPair; issuer: string }) => string,
    string,
  ][] = [
    [
      'iss is not the client_id',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer, { iss: 'someone' }),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion iss is not the client_id',
    ],
    [
      'sub is not the client_id',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer, { sub: 'someone' }),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion sub is not the client_id',
    ],
    [
      'aud is another server',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer, { aud: 'https://other.example' }),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion aud is not this server',
    ],
    [
      'aud is an array holding the issuer',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer, { aud: [c.issuer] }),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion aud is not a single string',
    ],
    [
      'aud is missing',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer, { aud: undefined }),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion aud is not a single string',
    ],
    [
      'exp is missing',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer, { exp: undefined }),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion exp is missing or not a number',
    ],
    [
      'exp is a string',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer, { exp: String(now() + 30) }),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion exp is missing or not a number',
    ],
    [
      'it has expired',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer, { iat: now() - 50, exp: now() - 20 }),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion has expired',
    ],
    [
      'its lifetime is over 60 s',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer, { exp: now() + 3600 }),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion lifetime is longer than allowed',
    ],
    [
      'its lifetime is over 60 s without iat',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer, { iat: undefined, exp: now() + 600 }),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion lifetime is longer than allowed',
    ],
    [
      'iat is in the future',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer, { iat: now() + 300, exp: now() + 330 }),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion iat is in the future',
    ],
    [
      'iat is long past',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer, { iat: now() - 3600 }),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion iat is too old',
    ],
    [
      'nbf is in the future',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer, { nbf: now() + 300 }),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion is not yet valid (nbf)',
    ],
    [
      'jti is missing',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer, { jti: undefined }),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion jti is missing',
    ],
    [
      'jti is too long',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer, { jti: 'j'.repeat(300) }),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion jti is too long',
    ],
    [
      'alg is not the pinned one (PS256 for an RS256 client)',
      (c) => signAssertion(assertionClaims(c.clientId, c.issuer), c.keys.privateKey, 'PS256'),
      'assertion alg is not the algorithm registered for the client',
    ],
    [
      'alg is none',
      (c) =>
        `${b64('{"alg":"none","typ":"JWT"}')}.${b64(JSON.stringify(assertionClaims(c.clientId, c.issuer)))}.`,
      'assertion is unsigned (empty signature)',
    ],
    [
      'alg is none with a fake signature',
      (c) =>
        `${b64('{"alg":"none"}')}.${b64(JSON.stringify(assertionClaims(c.clientId, c.issuer)))}.AAAA`,
      'assertion alg is not the algorithm registered for the client',
    ],
    [
      'alg is HS256 keyed with the public key',
      (c) => {
        const input = `${b64('{"alg":"HS256"}')}.${b64(JSON.stringify(assertionClaims(c.clientId, c.issuer)))}`;
        return `${input}.${Buffer.from('x').toString('base64url')}AA`;
      },
      'assertion alg is not the algorithm registered for the client',
    ],
    [
      'typ is at+jwt (an access token)',
      (c) =>
        signAssertion(assertionClaims(c.clientId, c.issuer), c.keys.privateKey, 'RS256', {
          typ: 'at+jwt',
        }),
      'assertion typ is not JWT or client-authentication+jwt',
    ],
    [
      'the header embeds a jwk',
      (c) =>
        signAssertion(assertionClaims(c.clientId, c.issuer), c.keys.privateKey, 'RS256', {
          jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' },
        }),
      'assertion header member jwk is not accepted',
    ],
    [
      'the header points at a jku',
      (c) =>
        signAssertion(assertionClaims(c.clientId, c.issuer), c.keys.privateKey, 'RS256', {
          jku: 'http://127.0.0.1:1/jwks',
        }),
      'assertion header member jku is not accepted',
    ],
    [
      'the header has x5c',
      (c) =>
        signAssertion(assertionClaims(c.clientId, c.issuer), c.keys.privateKey, 'RS256', {
          x5c: ['AAAA'],
        }),
      'assertion header member x5c is not accepted',
    ],
    [
      'the header has crit',
      (c) =>
        signAssertion(assertionClaims(c.clientId, c.issuer), c.keys.privateKey, 'RS256', {
          crit: ['exp'],
        }),
      'assertion header member crit is not accepted',
    ],
    [
      'the claims have a duplicate member',
      (c) => {
        const claims = JSON.stringify(assertionClaims(c.clientId, c.issuer));
        return signRaw(
          '{"alg":"RS256"}',
          `${claims.slice(0, -1)},"sub":"${c.clientId}"}`,
          c.keys.privateKey,
          'RS256',
        );
      },
      'assertion claims has duplicate member names',
    ],
    [
      'the header has a duplicate member',
      (c) =>
        signRaw(
          '{"alg":"RS256","alg":"RS256"}',
          JSON.stringify(assertionClaims(c.clientId, c.issuer)),
          c.keys.privateKey,
          'RS256',
        ),
      'assertion header has duplicate member names',
    ],
    [
      'it is not canonical base64url (padding)',
      (c) => {
        const [h, p, s] = signAssertion(
          assertionClaims(c.clientId, c.issuer),
          c.keys.privateKey,
          'RS256',
        ).split('.');
        return `${h}.${p}.${s}==`;
      },
      'assertion is not canonical base64url',
    ],
    [
      'it is a JWE shape',
      (c) =>
        `${signAssertion(assertionClaims(c.clientId, c.issuer), c.keys.privateKey, 'RS256')}.AA.AA`,
      'assertion is a JWE; a signed JWT is required',
    ],
    [
      'it is signed by another key',
      (c) =>
        signAssertion(
          assertionClaims(c.clientId, c.issuer),
          generateTestKeyPair('RS256').privateKey,
          'RS256',
        ),
      'assertion signature does not verify',
    ],
  ];

  it.each(refusals)(
    'refuses an assertion whose %s, with invalid_client and the reason audited',
    async (_what, make, reason) => {
      const { clientId, keys } = await keyClient();
      // client_id in the body too, so that a spoiled sub still finds the client (RFC 7521 §4.2).
      const res = await present(make({ clientId, keys, issuer: auth.issuer }), [
        ['client_id', clientId],
      ]);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
      expect(lastRefusalDetail()).toBe(reason);
    },
  );

  it('refuses a replayed jti (single use)', async () => {
    const { clientId, keys } = await keyClient();
    const assertion = signAssertion(
      assertionClaims(clientId, auth.issuer),
      keys.privateKey,
      'RS256',
    );
    expect((await present(assertion)).status).toBe(200);
    const again = await present(assertion);
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_client');
    expect(lastRefusalDetail()).toBe('assertion jti was already used');
    // The same jti in a freshly signed assertion is a replay too.
    const jti = String(decodeJwt(assertion).payload.jti);
    const resigned = signAssertion(
      assertionClaims(clientId, auth.issuer, { jti }),
      keys.privateKey,
      'RS256',
    );
    expect((await present(resigned)).status).toBe(401);
  });

  it('accepts the same jti from two different clients (jti is per client)', async () => {
    const a = await keyClient();
    const b = await keyClient();
    const jti = 'shared-jti';
    for (const c of [a, b]) {
      const res = await present(
        signAssertion(
          assertionClaims(c.clientId, auth.issuer, { jti }),
          c.keys.privateKey,
          'RS256',
        ),
      );
      expect(res.status).toBe(200);
    }
  });

  it('refuses assertions for an unknown client, a revoked client and a secret client', async () => {
    const keys = generateTestKeyPair('RS256');
    const unknown = await present(
      signAssertion(
        assertionClaims('00000000-0000-4000-8000-000000000000', auth.issuer),
        keys.privateKey,
        'RS256',
      ),
    );
    expect(unknown.status).toBe(401);
    expect(lastRefusalDetail()).toBe('unknown client_id');

    const revoked = await keyClient();
    await auth.cli.clients.revoke(revoked.clientId);
    const res = await present(
      signAssertion(
        assertionClaims(revoked.clientId, auth.issuer),
        revoked.keys.privateKey,
        'RS256',
      ),
    );
    expect(res.status).toBe(401);
    expect(lastRefusalDetail()).toBe('client revoked');

    counter += 1;
    const { clientId } = await auth.createClient({
      name: `secret_${counter}`,
      audiences: ['ms_doctor'],
    });
    const secretClient = await present(
      signAssertion(assertionClaims(clientId, auth.issuer), keys.privateKey, 'RS256'),
    );
    expect(secretClient.status).toBe(401);
    expect(lastRefusalDetail()).toBe('client has no registered public key');
  });

  it('refuses a body client_id naming another client than the assertion', async () => {
    const a = await keyClient();
    const b = await keyClient();
    const res = await present(
      signAssertion(assertionClaims(a.clientId, auth.issuer), a.keys.privateKey, 'RS256'),
      [['client_id', b.clientId]],
    );
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('refuses a client_assertion next to client_secret or Basic, and another assertion type', async () => {
    const { clientId, keys } = await keyClient();
    const assertion = signAssertion(
      assertionClaims(clientId, auth.issuer),
      keys.privateKey,
      'RS256',
    );
    const both = await readResponse(
      await postForm(auth.tokenUrl, assertionParams(assertion, [['client_secret', 'x']])),
    );
    expect(both.status).toBe(400);
    const basic = await readResponse(
      await postForm(auth.tokenUrl, assertionParams(assertion), {
        authorization: `Basic ${b64('a:b')}`,
      }),
    );
    expect(basic.status).toBe(400);
    const saml = await readResponse(
      await postForm(auth.tokenUrl, [
        ['grant_type', 'client_credentials'],
        ['client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer'],
        ['client_assertion', assertion],
      ]),
    );
    expect(saml.status).toBe(401);
    expect(saml.body.error).toBe('invalid_client');
  });

  it('counts refused assertions in the failure limiter (429 once the per-client limit is reached)', async () => {
    const limited = await startTestAuthServer({
      authFailureLimit: { maxPerClient: 3, maxPerClientAndAddress: 3 },
    });
    try {
      const keys = generateTestKeyPair('ES256');
      const client = await limited.cli.clients.createWithPublicKeys(
        { name: 'limited', audiences: ['ms_doctor'] },
        { publicKeys: [keys.publicPem] },
      );
      const bad = () =>
        signAssertion(
          assertionClaims(client.clientId, 'https://wrong.example'),
          keys.privateKey,
          'ES256',
        );
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await postForm(limited.tokenUrl, assertionParams(bad()))).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await limited.close();
    }
  });

  it('refuses the token endpoint URL as aud when so configured (issuer only)', async () => {
    const strict = await startTestAuthServer({
      clientAssertion: { acceptTokenEndpointAudience: false },
    });
    try {
      const keys = generateTestKeyPair('EdDSA');
      const client = await strict.cli.clients.createWithPublicKeys(
        { name: 'strict', audiences: ['ms_doctor'] },
        { publicKeys: [keys.publicPem] },
      );
      const viaEndpoint = await postForm(
        strict.tokenUrl,
        assertionParams(
          signAssertion(
            assertionClaims(client.clientId, strict.tokenUrl),
            keys.privateKey,
            'EdDSA',
          ),
        ),
      );
      expect(viaEndpoint.status).toBe(401);
      const viaIssuer = await postForm(
        strict.tokenUrl,
        assertionParams(
          signAssertion(assertionClaims(client.clientId, strict.issuer), keys.privateKey, 'EdDSA'),
        ),
      );
      expect(viaIssuer.status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('bounds the lifetime by the configured maximum', async () => {
    const short = await startTestAuthServer({
      clientAssertion: { maxLifetimeSec: 10, clockToleranceSec: 0 },
    });
    try {
      const keys = generateTestKeyPair('ES256');
      const client = await short.cli.clients.createWithPublicKeys(
        { name: 'short', audiences: ['ms_doctor'] },
        { publicKeys: [keys.publicPem] },
      );
      const t = now();
      const tooLong = await postForm(
        short.tokenUrl,
        assertionParams(
          signAssertion(
            assertionClaims(client.clientId, short.issuer, { iat: t, exp: t + 30 }),
            keys.privateKey,
            'ES256',
          ),
        ),
      );
      expect(tooLong.status).toBe(401);
      const fine = await postForm(
        short.tokenUrl,
        assertionParams(
          signAssertion(
            assertionClaims(client.clientId, short.issuer, { iat: t, exp: t + 10 }),
            keys.privateKey,
            'ES256',
          ),
        ),
      );
      expect(fine.status).toBe(200);
    } finally {
      await short.close();
    }
  });

  it('keeps used jtis in the database until exp + tolerance and purges them afterwards', async () => {
    const { clientId, keys } = await keyClient();
    const claims = assertionClaims(clientId, auth.issuer);
    expect((await present(signAssertion(claims, keys.privateKey, 'RS256'))).status).toBe(200);
    const exp = Number(claims.exp);
    expect(await auth.cli.assertionJtis.consume(clientId, String(claims.jti), exp + 10, 100)).toBe(
      'replayed',
    );
    expect(await auth.cli.assertionJtis.purge(exp + 10)).toBeGreaterThanOrEqual(1);
    expect(await auth.cli.assertionJtis.consume(clientId, String(claims.jti), exp + 10, 100)).toBe(
      'consumed',
    );
  });

  it('refuses once a client has the maximum of unexpired jtis (bounded store)', async () => {
    const { clientId } = await keyClient();
    const later = now() + 60;
    expect(await auth.cli.assertionJtis.consume(clientId, 'a', later, 2)).toBe('consumed');
    expect(await auth.cli.assertionJtis.consume(clientId, 'b', later, 2)).toBe('consumed');
    expect(await auth.cli.assertionJtis.consume(clientId, 'c', later, 2)).toBe('full');
  });
});

describe('jwks_uri clients', () => {
  async function uriClient(uri: string, alg: 'ES256' | 'RS256' = 'ES256') {
    counter += 1;
    const client = await auth.cli.clients.createWithPublicKeys(
      { name: `uri_${counter}`, audiences: ['ms_doctor'] },
      { jwksUri: uri, alg },
    );
    return client.clientId;
  }

  it('fetches the keys from an allowed host, refetches on an unknown kid', async () => {
    const first = generateTestKeyPair('ES256');
    const second = generateTestKeyPair('ES256');
    const jwk1 = { ...(await exportJWK(first.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const jwk2 = { ...(await exportJWK(second.publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' };
    jwksAnswer = { status: 200, body: JSON.stringify({ keys: [jwk1] }) };
    const clientId = await uriClient(`${jwksUrl}?c=1`);
    const ok = await present(
      signAssertion(assertionClaims(clientId, auth.issuer), first.privateKey, 'ES256', {
        kid: 'k1',
      }),
    );
    expect(ok.status).toBe(200);
    jwksAnswer = { status: 200, body: JSON.stringify({ keys: [jwk1, jwk2] }) };
    const hits = jwksHits;
    const rotated = await present(
      signAssertion(assertionClaims(clientId, auth.issuer), second.privateKey, 'ES256', {
        kid: 'k2',
      }),
    );
    expect(rotated.status).toBe(200);
    expect(jwksHits).toBe(hits + 1);
    // A known kid is served from the cache.
    await present(
      signAssertion(assertionClaims(clientId, auth.issuer), second.privateKey, 'ES256', {
        kid: 'k2',
      }),
    );
    expect(jwksHits).toBe(hits + 1);
  });

  it('refuses a jwks_uri on a host the operator did not allow, without fetching it', async () => {
    const keys = generateTestKeyPair('ES256');
    const hits = jwksHits;
    const clientId = await uriClient(jwksUrl.replace('127.0.0.1', 'localhost'));
    const res = await present(
      signAssertion(assertionClaims(clientId, auth.issuer), keys.privateKey, 'ES256'),
    );
    expect(res.status).toBe(401);
    expect(lastRefusalDetail()).toBe('jwks_uri host is not allowed');
    expect(jwksHits).toBe(hits);
  });

  it('does not follow a redirect and refuses an oversized or failing answer', async () => {
    const keys = generateTestKeyPair('ES256');
    jwksAnswer = { status: 302, body: '', headers: { location: 'http://127.0.0.1:1/' } };
    let res = await present(
      signAssertion(
        assertionClaims(await uriClient(`${jwksUrl}?c=redirect`), auth.issuer),
        keys.privateKey,
        'ES256',
      ),
    );
    expect(res.status).toBe(401);
    expect(lastRefusalDetail()).toBe('jwks_uri answered with a redirect (not followed)');
    jwksAnswer = { status: 200, body: JSON.stringify({ keys: [], pad: 'x'.repeat(5000) }) };
    res = await present(
      signAssertion(
        assertionClaims(await uriClient(`${jwksUrl}?c=big`), auth.issuer),
        keys.privateKey,
        'ES256',
      ),
    );
    expect(res.status).toBe(401);
    expect(lastRefusalDetail()).toBe('jwks_uri answer is too large');
    jwksAnswer = { status: 500, body: '' };
    res = await present(
      signAssertion(
        assertionClaims(await uriClient(`${jwksUrl}?c=500`), auth.issuer),
        keys.privateKey,
        'ES256',
      ),
    );
    expect(res.status).toBe(401);
    expect(lastRefusalDetail()).toBe('jwks_uri answered HTTP 500');
  });
});

describe('metadata (RFC 8414)', () => {
  it('lists private_key_jwt and the accepted assertion algorithms', async () => {
    const res = await readResponse(
      await fetch(`${auth.url}/.well-known/oauth-authorization-server`),
    );
    expect(res.body.token_endpoint_auth_methods_supported).toEqual([
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ]);
    expect(res.body.token_endpoint_auth_signing_alg_values_supported).toEqual([
      'RS256',
      'PS256',
      'ES256',
      'EdDSA',
    ]);
  });
});
