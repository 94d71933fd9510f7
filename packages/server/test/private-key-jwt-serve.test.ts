/**
 * private_key_jwt end to end: `m2m-auth client create --auth-method private_key_jwt` registers a
 * service's public key, two `m2m-auth serve` processes share the database (SQLite file, or
 * PostgreSQL as behind a load balancer), and a caller authenticates with a private key only it has
 * (through @m2m-auth/client). An assertion accepted by one instance is a replay on the other.
 * Another caller authenticates with a Kubernetes-format service-account token of a trusted
 * loopback issuer (`trust add --preset kubernetes`), on both instances, the same token twice.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenClient } from '@m2m-auth/client';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, postForm, readResponse } from './helpers/auth-server.js';
import {
  assertionClaims,
  assertionParams,
  generateTestKeyPair,
  signAssertion,
} from './helpers/client-assertion.js';
import { runCliJson, type ServeProcess, startServeProcess } from './helpers/serve-process.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  TEST_DIALECTS,
  type TestDatabase,
} from './helpers/test-database.js';

const ISSUER = 'http://auth.m2m.test';

describe.each(TEST_DIALECTS)(
  'private_key_jwt against two m2m-auth serve instances on %s',
  (dialect) => {
    const skip = dialectUnavailable(dialect);
    let database: TestDatabase;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    let instances: ServeProcess[] = [];
    let clientId: string;
    const keys = generateTestKeyPair('ES256');
    const cwd = process.cwd();
    const clusterKey = generateTestKeyPair('RS256');
    let cluster: Server | undefined;
    let clusterIssuer: string;
    let workerId: string;

    beforeAll(async () => {
      if (skip) return;
      database = await createTestDatabase(dialect);
      dir = mkdtempSync(join(tmpdir(), 'm2m-pkjwt-serve-'));
      env = { ...process.env, DATABASE_URL: database.url, M2M_AUTH_KEK: randomKek() };
      delete env['M2M_AUTH_DEBUG'];
      const publicKeyFile = join(dir, 'ms_admin.pub.pem');
      writeFileSync(publicKeyFile, keys.publicPem);
      const created = await runCliJson<{ client_id: string; token_endpoint_auth_method: string }>(
        [
          'client',
          'create',
          'ms_admin',
          '--audiences',
          'ms_doctor',
          '--scopes',
          'doctors:read',
          '--auth-method',
          'private_key_jwt',
          '--public-key',
          publicKeyFile,
        ],
        { env, cwd },
      );
      expect(created.token_endpoint_auth_method).toBe('private_key_jwt');
      clientId = created.client_id;
      cluster = createServer(async (req, res) => {
        const jwk = {
          ...(await exportJWK(clusterKey.publicKey)),
          kid: 'k1',
          alg: 'RS256',
          use: 'sig',
        };
        res.setHeader('content-type', 'application/json');
        res.end(req.url === '/openid/v1/jwks' ? JSON.stringify({ keys: [jwk] }) : '{}');
      });
      await new Promise<void>((resolve) => cluster?.listen(0, '127.0.0.1', resolve));
      clusterIssuer = `http://127.0.0.1:${(cluster.address() as AddressInfo).port}`;
      await runCliJson(
        [
          'trust',
          'add',
          'cluster',
          '--preset',
          'kubernetes',
          '--issuer',
          clusterIssuer,
          '--audience',
          'm2m-auth',
        ],
        { env, cwd },
      );
      workerId = (
        await runCliJson<{ client_id: string }>(
          [
            'client',
            'create',
            'ms_worker',
            '--audiences',
            'ms_doctor',
            '--federated-subject',
            'cluster:system:serviceaccount:hospital:ms-worker',
          ],
          { env, cwd },
        )
      ).client_id;
      instances = await Promise.all(
        [0, 1].map(() => startServeProcess(['--issuer', ISSUER], { env, cwd })),
      );
    }, 90_000);
    afterAll(async () => {
      await Promise.all(instances.map((instance) => instance.stop()));
      await new Promise((resolve) => (cluster ? cluster.close(resolve) : resolve(undefined)));
      await database?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it.skipIf(skip)(
      'issues tokens to @m2m-auth/client holding the private key (no secret anywhere)',
      async () => {
        const keyPath = join(dir, 'ms_admin.key');
        writeFileSync(keyPath, keys.privatePem, { mode: 0o600 });
        for (const instance of instances) {
          const auth = createTokenClient({
            env: {
              AUTH_URL: instance.url,
              OAUTH_CLIENT_ID: clientId,
              OAUTH_CLIENT_KEY_PATH: keyPath,
            },
          });
          const token = await auth.getToken({ audience: 'ms_doctor', scope: 'doctors:read' });
          expect(decodeJwt(token).payload).toMatchObject({ client_id: clientId, iss: ISSUER });
        }
      },
    );

    it.skipIf(skip)(
      'refuses on the second instance an assertion the first accepted (jti replay)',
      async () => {
        const assertion = signAssertion(
          assertionClaims(clientId, ISSUER),
          keys.privateKey,
          'ES256',
        );
        const [first, second] = instances as [ServeProcess, ServeProcess];
        expect(
          (await postForm(`${first.url}/oauth/token`, assertionParams(assertion))).status,
        ).toBe(200);
        const replay = await readResponse(
          await postForm(`${second.url}/oauth/token`, assertionParams(assertion)),
        );
        expect(replay.status).toBe(401);
        expect(replay.body.error).toBe('invalid_client');
      },
    );

    it.skipIf(skip)(
      'lets exactly one of two instances accept an assertion sent to both at once',
      async () => {
        for (let round = 0; round < 5; round++) {
          const assertion = signAssertion(
            assertionClaims(clientId, ISSUER),
            keys.privateKey,
            'ES256',
          );
          const statuses = await Promise.all(
            instances.map(
              async (instance) =>
                (await postForm(`${instance.url}/oauth/token`, assertionParams(assertion))).status,
            ),
          );
          expect(statuses.sort()).toEqual([200, 401]);
        }
      },
    );

    it.skipIf(skip)(
      'authenticates a Kubernetes-format service-account token on both instances, the same token twice',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        const token = signAssertion(
          {
            aud: ['m2m-auth'],
            exp: now + 3600,
            iat: now,
            iss: clusterIssuer,
            jti: randomUUID(),
            'kubernetes.io': {
              namespace: 'hospital',
              node: { name: 'node-1', uid: randomUUID() },
              pod: { name: 'ms-worker-5c9d7', uid: randomUUID() },
              serviceaccount: { name: 'ms-worker', uid: randomUUID() },
            },
            nbf: now,
            sub: 'system:serviceaccount:hospital:ms-worker',
          },
          clusterKey.privateKey,
          'RS256',
          { typ: undefined, kid: 'k1' },
        );
        for (const instance of [...instances, ...instances]) {
          const res = await readResponse(
            await postForm(`${instance.url}/oauth/token`, assertionParams(token)),
          );
          expect(res.status).toBe(200);
          expect(decodeJwt(String(res.body.access_token)).payload.client_id).toBe(workerId);
        }
      },
    );
  },
);
