/**
 * Kubernetes service-account tokens as client credentials (workload identity federation): a
 * loopback issuer plays the Kubernetes API server — OpenID discovery, a JWKS at /openid/v1/jwks,
 * and tokens in exactly the kubelet's projected format — and the operator's real CLI commands
 * (`trust add --discovery`, `client create --federated-subject`) set up the binding.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createTokenClient } from '@m2m-auth/client';
import { openStore, type RunningServer, type Store, startServer } from '@m2m-auth/server';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, postForm, readResponse } from './helpers/auth-server.js';
import { assertionParams, generateTestKeyPair, signAssertion } from './helpers/client-assertion.js';
import { runCliProcess } from './helpers/run-cli.js';

const AUDIENCE = 'm2m-auth';
const SUBJECT = 'system:serviceaccount:hospital:ms-admin';
const clusterKey = generateTestKeyPair('RS256');
const KID = 'cluster-key-1';

let dir: string;
let dbUrl: string;
let issuerServer: Server;
let issuer: string;
let store: Store;
let server: RunningServer;
let clientId: string;
let jwksFetches = 0;
const logLines: string[] = [];

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

const cli = (...args: string[]) => runCliProcess(['--database', dbUrl, ...args], { cwd: dir });

/** A projected service-account token exactly as the kubelet writes it (claims, header, aud list). */
function kubeletToken(
  overrides: Record<string, unknown> = {},
  key = clusterKey.privateKey,
): string {
  const now = Math.floor(Date.now() / 1000);
  const [, , namespace, account] = SUBJECT.split(':');
  const claims: Record<string, unknown> = {
    aud: [AUDIENCE],
    exp: now + 3600,
    iat: now,
    iss: issuer,
    jti: randomUUID(),
    'kubernetes.io': {
      namespace,
      node: { name: 'node-1', uid: randomUUID() },
      pod: { name: 'ms-admin-6d5f8c7b9-x2x4q', uid: randomUUID() },
      serviceaccount: { name: account, uid: randomUUID() },
      warnafter: now + 3000,
    },
    nbf: now,
    sub: SUBJECT,
    ...overrides,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  // The kubelet's header: alg and kid only, no typ.
  return signAssertion(claims, key, 'RS256', { typ: undefined, kid: KID });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'm2m-k8s-'));
  dbUrl = `sqlite:${join(dir, 'auth.db')}`;
  const jwk = { ...(await exportJWK(clusterKey.publicKey)), use: 'sig', alg: 'RS256', kid: KID };
  issuerServer = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(
        JSON.stringify({
          issuer,
          jwks_uri: `${issuer}/openid/v1/jwks`,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        }),
      );
    } else if (req.url === '/openid/v1/jwks') {
      jwksFetches += 1;
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;

  // The database exists first: a command that creates one says so on stderr, which is not what
  // this checks (trust add itself prints nothing there).
  expect((await cli('migrate')).code).toBe(0);
  const added = await cli(
    'trust',
    'add',
    'cluster',
    '--issuer',
    issuer,
    '--discovery',
    '--audience',
    AUDIENCE,
  );
  expect(added.stderr).toBe('');
  expect(added.code).toBe(0);
  const created = await cli(
    'client',
    'create',
    'ms_admin',
    '--audiences',
    'ms_doctor,ms_college',
    '--federated-subject',
    `cluster:${SUBJECT}`,
    '--json',
  );
  expect(created.code).toBe(0);
  clientId = JSON.parse(created.stdout).client_id;
  store = await openStore({ databaseUrl: dbUrl });
  server = await startServer({
    store,
    port: 0,
    host: '127.0.0.1',
    logger: {
      level: 'info',
      stream: new Writable({
        write(chunk, _encoding, done) {
          logLines.push(...String(chunk).split('\n').filter(Boolean));
          done();
        },
      }),
    },
  });
});
afterAll(async () => {
  await server?.close();
  await store?.close();
  await new Promise((resolve) => issuerServer?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const tokenUrl = () => `${server.url}/oauth/token`;
const present = async (assertion: string, extra: [string, string][] = []) =>
  readResponse(
    await postForm(tokenUrl(), assertionParams(assertion, [['audience', 'ms_doctor'], ...extra])),
  );

describe('Kubernetes service-account tokens as client credentials', () => {
  it('authenticates the bound client with a kubelet-format token, and accepts the same token again', async () => {
    const token = kubeletToken();
    for (let i = 0; i < 2; i++) {
      const res = await present(token);
      expect(res.status).toBe(200);
      expect(decodeJwt(String(res.body.access_token)).payload.client_id).toBe(clientId);
    }
    // With the client_id in the body too (what @m2m-auth/client sends).
    expect((await present(token, [['client_id', clientId]])).status).toBe(200);
    expect(jwksFetches).toBe(1);
  });

  it.each<[string, () => string, string]>([
    [
      "an audience that is not the trust's",
      () => kubeletToken({ aud: ['https://kubernetes.default.svc'] }),
      'federated token aud does not hold the trusted audience',
    ],
    [
      'a lifetime over the cap (3600 s)',
      () => kubeletToken({ exp: Math.floor(Date.now() / 1000) + 7200 }),
      'federated token lifetime is longer than the trust allows',
    ],
    [
      'an expired token',
      () =>
        kubeletToken({
          iat: Math.floor(Date.now() / 1000) - 7200,
          nbf: Math.floor(Date.now() / 1000) - 7200,
          exp: Math.floor(Date.now() / 1000) - 3600,
        }),
      'federated token has expired',
    ],
    [
      'no exp',
      () => kubeletToken({ exp: undefined }),
      'federated token exp is missing or not a number',
    ],
    [
      'a kubernetes.io claim naming another namespace',
      () =>
        kubeletToken({
          'kubernetes.io': { namespace: 'other', serviceaccount: { name: 'ms-admin' } },
        }),
      'federated token kubernetes.io claim disagrees with sub',
    ],
    [
      'a signature by another key',
      () => kubeletToken({}, generateTestKeyPair('RS256').privateKey),
      'federated token signature does not verify',
    ],
  ])('refuses %s with invalid_client, the reason audited', async (_what, make, reason) => {
    const res = await present(make());
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect(lastRefusalDetail()).toBe(reason);
  });

  it('refuses a token for a subject bound to no client, and a body client_id naming another client', async () => {
    const unbound = await present(
      kubeletToken({ sub: 'system:serviceaccount:hospital:ms-other', 'kubernetes.io': undefined }),
    );
    expect(unbound.status).toBe(401);
    expect(lastRefusalDetail()).toBe('no client is bound to the federated subject');
    const other = await cli('client', 'create', 'ms_other', '--audiences', 'ms_doctor', '--json');
    const otherId = JSON.parse(other.stdout).client_id;
    const mismatch = await present(kubeletToken(), [['client_id', otherId]]);
    expect(mismatch.status).toBe(401);
    expect(lastRefusalDetail()).toBe('client_id is not the client bound to the federated subject');
  });

  it('refuses a token of an issuer that is not trusted', async () => {
    const res = await present(kubeletToken({ iss: 'https://other-cluster.example' }));
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it("refuses to bind a namespace's default service account unless forced", async () => {
    const refused = await cli(
      'client',
      'create',
      'ms_default',
      '--audiences',
      'ms_doctor',
      '--federated-subject',
      'cluster:system:serviceaccount:hospital:default',
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/default service account of namespace hospital/);
    const forced = await cli(
      'client',
      'create',
      'ms_default',
      '--audiences',
      'ms_doctor',
      '--federated-subject',
      'cluster:system:serviceaccount:hospital:default',
      '--allow-default-service-account',
    );
    expect(forced.code).toBe(0);
  });

  it('shows the binding in client show', async () => {
    const shown = JSON.parse((await cli('client', 'show', 'ms_admin', '--json')).stdout);
    expect(shown).toMatchObject({
      token_endpoint_auth_method: 'federated',
      federated_subjects: [`cluster:${SUBJECT}`],
      secrets: [],
    });
  });

  it('refuses a trust without exactly one key source, and a subject bound twice', async () => {
    expect(
      (await cli('trust', 'add', 'x', '--issuer', 'https://x.example', '--audience', 'a')).stderr,
    ).toMatch(/exactly one of --jwks-uri, --jwks-file and --discovery/);
    const twice = await cli(
      'client',
      'create',
      'ms_admin2',
      '--audiences',
      'ms_doctor',
      '--federated-subject',
      `cluster:${SUBJECT}`,
    );
    expect(twice.stderr).toMatch(/already authenticates another client/);
  });

  it('@m2m-auth/client reads the projected token from OAUTH_CLIENT_ASSERTION_PATH on every token request', async () => {
    const tokenFile = join(dir, 'token');
    const sent: string[] = [];
    const first = kubeletToken();
    writeFileSync(tokenFile, first);
    const auth = createTokenClient({
      env: {
        AUTH_URL: server.url,
        OAUTH_CLIENT_ID: clientId,
        OAUTH_CLIENT_ASSERTION_PATH: tokenFile,
      },
      fetch: async (input, init) => {
        if (typeof init?.body === 'string') {
          sent.push(new URLSearchParams(init.body).get('client_assertion') ?? '');
        }
        return fetch(input, init);
      },
    });
    await auth.getToken({ audience: 'ms_doctor' });
    // The kubelet rotates the file: the next token request reads the new token.
    const second = kubeletToken();
    writeFileSync(tokenFile, `${second}\n`);
    await auth.getToken({ audience: 'ms_college' });
    expect(sent).toEqual([first, second]);
  });
});
