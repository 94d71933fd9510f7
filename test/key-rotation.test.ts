/**
 * Signing-key rotation seen from the services: a caller using @m2m-auth/client calls two
 * receivers using @m2m-auth/verifier — one with the JWKS URL, one with the key file that
 * `m2m-auth keys export-public --all --out` writes — while the authorization server rotates its
 * key on a schedule (next → active → retired → removed). Not one verification may fail. Then an
 * emergency revocation must reach both receivers within the documented interval.
 *
 * Time: everything runs in this process (the server with `startServer`, two scheduled-rotation
 * instances on two store handles, the CLI with `runCli`, the receivers, the caller), so faking
 * `Date` moves every clock at once: the store's, the token `iat`/`exp`, the verifiers' refresh
 * schedule and the client's token cache. Timers and sockets stay real. The rotation test moves the
 * clock five seconds every 5 real milliseconds while traffic flows, so the 17 minutes a retired
 * key stays published pass in seconds; the revocation test moves it one second at a time between
 * requests, so the measured interval is exact.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenClient, type TokenClient } from '@m2m-auth/client';
import { openStore, type RunningServer, type Store, startServer } from '@m2m-auth/server';
import { runCli } from '@m2m-auth/server/cli';
import {
  type KeyLifecycleChange,
  type KeyRotationSchedule,
  scheduleKeyRotation,
} from '@m2m-auth/server/keys';
import {
  createBearerErrorResponse,
  createVerifier,
  isVerifierError,
  type Verifier,
} from '@m2m-auth/verifier';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** Virtual start of both tests (any fixed instant). */
const START = new Date('2031-03-01T08:00:00Z');

// The rotation scenario, in virtual seconds.
/** `Cache-Control: max-age` of the server's JWKS. */
const JWKS_MAX_AGE_SEC = 30;
/** The JWKS receiver's `jwksCacheMaxAgeSec`. */
const VERIFIER_JWKS_MAX_AGE_SEC = 30;
/** The file receiver's `keyFileRefreshSec` (the verifier's default). */
const KEY_FILE_REFRESH_SEC = 5;
/** How often the "cron job" re-exports the key file. */
const EXPORT_EVERY_SEC = 20;
/**
 * Publication to activation: at least the JWKS refresh interval (30 s) and the file cadence
 * (export every 20 s + re-read within 5 s), with room for both.
 */
const PROPAGATION_SEC = 90;
/** A rotation starts when the active key is this old: several rotations before the first key leaves. */
const ROTATE_EVERY_SEC = 100;
/** Access-token lifetime of the caller (a retired key is published 900 + 120 s regardless). */
const TOKEN_TTL_SEC = 300;
/** Virtual seconds per clock step, and real milliseconds between steps. */
const STEP_SEC = 5;
const STEP_MS = 5;
/** Real-time bound of the rotation scenario. */
const ROTATION_DEADLINE_MS = 30_000;

// The revocation scenario.
/** The JWKS receiver's `jwksCacheMaxAgeSec`: longer than the server's max-age, which thus wins. */
const REVOCATION_JWKS_CACHE_MAX_AGE_SEC = 60;
/** Longest wait for the refusals, virtual seconds (a failing test stops there). */
const REVOCATION_WATCH_SEC = 120;

const AUDIENCE_JWKS = 'ms_jwks_receiver';
const AUDIENCE_FILE = 'ms_file_receiver';
const SCOPE = 'records:read';

/** Everything a test started, stopped in reverse order by `cleanup`. */
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
  vi.useRealTimers();
});

function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Fakes `Date` only (timers and sockets stay real), starting at {@link START}. */
function useVirtualClock(): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(START);
}

/** Moves the virtual clock forward. */
function advanceClock(sec: number): void {
  vi.setSystemTime(Date.now() + sec * 1000);
}

/** The authorization server, its database, a client, and the exported key file. */
interface World {
  store: Store;
  databaseUrl: string;
  server: RunningServer;
  keyFile: string;
  firstKid: string;
  clientId: string;
  clientSecret: string;
  /** `m2m-auth keys export-public --all --out <keyFile>`, as an operator or a cron job runs it. */
  exportKeys(): Promise<void>;
  /** Runs the CLI in process (its output discarded); resolves to the exit code. */
  cli(...args: string[]): Promise<number>;
}

async function createWorld(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-key-rotation-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const databaseUrl = `sqlite:${join(dir, 'm2m-auth.db')}`;
  const keyFile = join(dir, 'jwks.json');
  // The CLI run in process reads the key-encryption key from the environment.
  const kek = randomBytes(32).toString('base64');
  const previousKek = process.env['M2M_AUTH_KEK'];
  process.env['M2M_AUTH_KEK'] = kek;
  cleanups.push(() => {
    if (previousKek === undefined) delete process.env['M2M_AUTH_KEK'];
    else process.env['M2M_AUTH_KEK'] = previousKek;
  });

  const store = await openStore({ databaseUrl, kek });
  cleanups.push(() => store.close());
  // ES256: rotations keep the active key's algorithm, and EC keys are generated at once.
  const first = await store.keys.generate('ES256');
  const { client, clientSecret } = await store.clients.create({
    name: 'ms_caller',
    scopes: [SCOPE],
    audiences: [AUDIENCE_JWKS, AUDIENCE_FILE],
    tokenTtlSec: TOKEN_TTL_SEC,
  });
  const server = await startServer({
    store,
    port: 0,
    host: '127.0.0.1',
    jwksMaxAgeSec: JWKS_MAX_AGE_SEC,
    logger: false,
  });
  cleanups.push(() => server.close());

  let exporting = Promise.resolve();
  const cli = async (...args: string[]): Promise<number> => {
    // Only the CLI writes to stdout in this process; its report is not needed.
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      return await runCli([...args, '--database', databaseUrl]);
    } finally {
      write.mockRestore();
    }
  };
  const exportKeys = () => {
    exporting = exporting.then(async () => {
      const code = await cli('keys', 'export-public', '--all', '--out', keyFile);
      if (code !== 0) throw new Error(`keys export-public exited with ${code}`);
    });
    return exporting;
  };
  await exportKeys();
  return {
    store,
    databaseUrl,
    server,
    keyFile,
    firstKid: first.kid,
    clientId: client.clientId,
    clientSecret,
    exportKeys,
    cli,
  };
}

/** A resource server: a plain HTTP server whose only route requires a verified access token. */
interface Receiver {
  url: string;
  /** Verified requests by the kid of the token's signing key. */
  acceptedByKid: Map<string, number>;
  /** Every refusal: code, kid and virtual time. */
  failures: string[];
}

function kidOf(authorization: string | undefined): string {
  const header = (authorization ?? '').replace(/^Bearer /, '').split('.')[0] ?? '';
  try {
    return String(
      (JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid?: unknown }).kid,
    );
  } catch {
    return '(no token)';
  }
}

async function startReceiver(verifier: Verifier): Promise<Receiver> {
  const acceptedByKid = new Map<string, number>();
  const failures: string[] = [];
  const server: Server = createServer((req, res) => {
    const authorization = req.headers.authorization;
    verifier.authenticate(authorization, { scopes: [SCOPE] }).then(
      () => {
        const kid = kidOf(authorization);
        acceptedByKid.set(kid, (acceptedByKid.get(kid) ?? 0) + 1);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      },
      (err: unknown) => {
        const at = new Date(Date.now()).toISOString();
        failures.push(
          `${isVerifierError(err) ? err.code : String(err)} (kid ${kidOf(authorization)}, at ${at})`,
        );
        if (!isVerifierError(err)) {
          res.writeHead(500).end();
          return;
        }
        const answer = createBearerErrorResponse(err, { realm: verifier.realm });
        res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/records`, acceptedByKid, failures };
}

function createCaller(world: World): TokenClient {
  return createTokenClient({
    tokenUrl: world.server.url,
    clientId: world.clientId,
    clientSecret: world.clientSecret,
    scope: SCOPE,
    // Renew two minutes before expiry: a request in flight never carries a token about to expire.
    refreshSkewSec: 120,
    env: {},
  });
}

describe('signing-key rotation seen by the services', () => {
  it('verifies every call through next → active → retired → removed, by JWKS URL and by exported key file', {
    timeout: 45_000,
  }, async () => {
    useVirtualClock();
    const world = await createWorld();
    const jwksReceiver = await startReceiver(
      createVerifier({
        issuer: world.server.issuer,
        audience: AUDIENCE_JWKS,
        jwksUri: `${world.server.url}/.well-known/jwks.json`,
        jwksCacheMaxAgeSec: VERIFIER_JWKS_MAX_AGE_SEC,
        logger: false,
      }),
    );
    const fileReceiver = await startReceiver(
      createVerifier({
        issuer: world.server.issuer,
        audience: AUDIENCE_FILE,
        publicKeyPath: world.keyFile,
        keyFileRefreshSec: KEY_FILE_REFRESH_SEC,
        logger: false,
      }),
    );

    // Two instances' schedules on two connections to the database.
    const secondHandle = await openStore({ databaseUrl: world.databaseUrl });
    cleanups.push(() => secondHandle.close());
    const changes: KeyLifecycleChange[] = [];
    const schedules: KeyRotationSchedule[] = [world.store, secondHandle].map((store) =>
      scheduleKeyRotation(store, {
        rotateEverySec: ROTATE_EVERY_SEC,
        propagationSec: PROPAGATION_SEC,
        // The virtual clock runs some 500 times faster than timers: look often.
        maxCheckIntervalMs: 20,
        onChange: (change) => changes.push(change),
      }),
    );
    cleanups.push(() => Promise.all(schedules.map((s) => s.stop())).then(() => {}));

    const clock = setInterval(() => advanceClock(STEP_SEC), STEP_MS);
    cleanups.push(() => clearInterval(clock));
    const realStart = performance.now();
    let stopTraffic = false;
    const callerErrors: string[] = [];

    // Traffic: two callers (each its own token cache), each calling both receivers in turn.
    const callLoop = async (caller: TokenClient) => {
      let calls = 0;
      while (!stopTraffic && calls < 50_000) {
        for (const [receiver, audience] of [
          [jwksReceiver, AUDIENCE_JWKS],
          [fileReceiver, AUDIENCE_FILE],
        ] as const) {
          try {
            const res = await caller.fetch(receiver.url, {}, { audience });
            await res.arrayBuffer();
            if (res.status !== 200) callerErrors.push(`${audience}: HTTP ${res.status}`);
          } catch (err) {
            callerErrors.push(`${audience}: ${(err as Error).message}`);
          }
          calls++;
        }
        await sleep(2);
      }
    };
    // The operator's cron job: re-export the key file every EXPORT_EVERY_SEC.
    const exportLoop = async () => {
      let lastExport = nowSec();
      while (!stopTraffic) {
        if (nowSec() - lastExport >= EXPORT_EVERY_SEC) {
          lastExport = nowSec();
          await world.exportKeys();
        }
        await sleep(STEP_MS);
      }
    };
    const traffic = Promise.all([
      callLoop(createCaller(world)),
      callLoop(createCaller(world)),
      exportLoop(),
    ]);

    try {
      // Until the first key has gone all the way: retired, then removed once its tokens expired.
      while ((await world.store.keys.get(world.firstKid)) !== undefined) {
        if (performance.now() - realStart > ROTATION_DEADLINE_MS) {
          throw new Error('the first key was not removed in time');
        }
        await sleep(20);
      }
      // Keep calling a while after the removal: the receivers drop the key on their next refresh.
      const removedAt = nowSec();
      while (nowSec() < removedAt + 2 * VERIFIER_JWKS_MAX_AGE_SEC) await sleep(20);
    } finally {
      stopTraffic = true;
      await traffic;
      clearInterval(clock);
      await Promise.all(schedules.map((s) => s.stop()));
    }

    // Zero failed verifications, on both receivers, and no error on the calling side.
    expect(jwksReceiver.failures).toEqual([]);
    expect(fileReceiver.failures).toEqual([]);
    expect(callerErrors).toEqual([]);

    // The traffic spanned the first key and several of its successors on both receivers.
    for (const receiver of [jwksReceiver, fileReceiver]) {
      expect(receiver.acceptedByKid.get(world.firstKid)).toBeGreaterThan(0);
      expect(receiver.acceptedByKid.size).toBeGreaterThanOrEqual(3);
    }

    // Each step happened once across the two schedules (or the server's own lifecycle step).
    const created = changes.flatMap((c) => c.created.map((k) => k.kid));
    const activated = changes.flatMap((c) => c.activated.map((k) => k.kid));
    const removed = changes.flatMap((c) => c.removed);
    expect(new Set(created).size).toBe(created.length);
    expect(new Set(activated).size).toBe(activated.length);
    expect(new Set(removed).size).toBe(removed.length);
    expect(created.length).toBeGreaterThanOrEqual(3);

    // Neither the JWKS nor the key file publishes the removed key any more.
    const jwks = (await (await fetch(`${world.server.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((key) => key.kid)).not.toContain(world.firstKid);
    await world.exportKeys();
    expect(readFileSync(world.keyFile, 'utf8')).not.toContain(world.firstKid);
  });

  it('rejects tokens of a revoked key within min(JWKS max-age, jwksCacheMaxAgeSec) by URL, and keyFileRefreshSec after the export by file', {
    timeout: 20_000,
  }, async () => {
    useVirtualClock();
    const world = await createWorld();
    const jwksReceiver = await startReceiver(
      createVerifier({
        issuer: world.server.issuer,
        audience: AUDIENCE_JWKS,
        jwksUri: `${world.server.url}/.well-known/jwks.json`,
        jwksCacheMaxAgeSec: REVOCATION_JWKS_CACHE_MAX_AGE_SEC,
        jwksCooldownSec: 5,
        logger: false,
      }),
    );
    const fileReceiver = await startReceiver(
      createVerifier({
        issuer: world.server.issuer,
        audience: AUDIENCE_FILE,
        publicKeyPath: world.keyFile,
        keyFileRefreshSec: KEY_FILE_REFRESH_SEC,
        logger: false,
      }),
    );
    const caller = createCaller(world);
    const leaked = {
      jwks: await caller.getToken({ audience: AUDIENCE_JWKS }),
      file: await caller.getToken({ audience: AUDIENCE_FILE }),
    };
    const present = async (receiver: Receiver, token: string): Promise<number> => {
      const res = await fetch(receiver.url, { headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      return res.status;
    };
    expect(await present(jwksReceiver, leaked.jwks)).toBe(200);
    expect(await present(fileReceiver, leaked.file)).toBe(200);

    // The worst moment: the receivers have just reloaded their keys (the cached ones were stale)
    // when the key is found compromised. It is revoked, and the key file exported again at once,
    // as docs/key-rotation.md tells operators to do.
    advanceClock(JWKS_MAX_AGE_SEC + 1);
    expect(await present(jwksReceiver, leaked.jwks)).toBe(200);
    expect(await present(fileReceiver, leaked.file)).toBe(200);
    const revokedAt = nowSec();
    expect(await world.cli('keys', 'revoke', world.firstKid)).toBe(0);
    await world.exportKeys();

    const rejectedAfterSec: { jwks?: number; file?: number } = {};
    for (
      let watched = 0;
      watched <= REVOCATION_WATCH_SEC &&
      (rejectedAfterSec.jwks === undefined || rejectedAfterSec.file === undefined);
      watched++
    ) {
      if (
        rejectedAfterSec.jwks === undefined &&
        (await present(jwksReceiver, leaked.jwks)) === 401
      ) {
        rejectedAfterSec.jwks = nowSec() - revokedAt;
      }
      if (
        rejectedAfterSec.file === undefined &&
        (await present(fileReceiver, leaked.file)) === 401
      ) {
        rejectedAfterSec.file = nowSec() - revokedAt;
      }
      advanceClock(1);
    }

    // The documented bounds (docs/key-rotation.md): by URL, the shorter of the server's
    // max-age and the verifier's jwksCacheMaxAgeSec; by file, keyFileRefreshSec after the export.
    expect(rejectedAfterSec.jwks).toBeLessThanOrEqual(
      Math.min(JWKS_MAX_AGE_SEC, REVOCATION_JWKS_CACHE_MAX_AGE_SEC),
    );
    expect(rejectedAfterSec.file).toBeLessThanOrEqual(KEY_FILE_REFRESH_SEC);
    // Refused as a key no longer trusted, and for good.
    for (const receiver of [jwksReceiver, fileReceiver]) {
      expect(receiver.failures).toHaveLength(1);
      expect(receiver.failures[0]).toMatch(/^ERR_KEY_UNKNOWN \(kid /);
    }
    expect(await present(jwksReceiver, leaked.jwks)).toBe(401);
    expect(await present(fileReceiver, leaked.file)).toBe(401);

    // Signing goes on with the replacement key: the caller's client drops the refused token,
    // gets one signed by the new key, and both receivers accept it.
    for (const [receiver, audience] of [
      [jwksReceiver, AUDIENCE_JWKS],
      [fileReceiver, AUDIENCE_FILE],
    ] as const) {
      const res = await caller.fetch(receiver.url, {}, { audience });
      expect(res.status).toBe(200);
      expect([...receiver.acceptedByKid.keys()]).toHaveLength(2);
    }
  });
});
