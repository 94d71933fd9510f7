// Does the token endpoint answer an unknown, a revoked and a wrong-secret client_id in the same
// time? Interleaved rounds over loopback HTTP against `startServer` on a SQLite file (or the
// database given with --database), failure limiter off; prints p10/p50 per case in µs and their
// ratios to "known client_id, wrong secret". Reports figures only: no threshold, no verdict.
//
//   node bench/timing/client-id-timing.js [--rounds 600] [--database postgres://…]
//
// Bounded: `rounds` × 4 requests (default 2400), one at a time. Imports the built packages.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServer } from '@m2m-auth/server';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '600' }, database: { type: 'string' } },
  strict: true,
});
const rounds = Math.min(Math.max(1, Number(values.rounds)), 5000);
const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-timing-'));
const databaseUrl = values.database ?? `sqlite:${join(dir, 'auth.db')}`;
const server = await startServer({
  databaseUrl,
  kek: randomBytes(32).toString('base64'),
  port: 0,
  authFailureLimit: false,
  generateKeyIfMissing: 'ES256',
});
try {
  const suffix = randomBytes(4).toString('hex');
  const known = await server.store.clients.create({ name: `known-${suffix}`, audiences: ['ms_x'] });
  const revoked = await server.store.clients.create({
    name: `revoked-${suffix}`,
    audiences: ['ms_x'],
  });
  await server.store.clients.revoke(revoked.client.clientId);
  const repeated = randomUUID();
  const wrong = randomBytes(32).toString('base64url');
  const cases = {
    'known client_id, wrong secret': () => known.client.clientId,
    'revoked client_id': () => revoked.client.clientId,
    'unknown client_id, fresh each time': () => randomUUID(),
    'unknown client_id, repeated': () => repeated,
  };
  const names = Object.keys(cases);
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  const once = async (clientId) => {
    const start = process.hrtime.bigint();
    const res = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${wrong}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    await res.arrayBuffer();
    if (res.status !== 401) throw new Error(`expected 401, got ${res.status}`);
    return Number(process.hrtime.bigint() - start) / 1000;
  };
  for (let i = 0; i < 50; i += 1) for (const name of names) await once(cases[name]()); // warm-up
  for (let round = 0; round < rounds; round += 1) {
    // A new order each round, so no case always follows the same one.
    const order = [...names].sort(() => Math.random() - 0.5);
    for (const name of order) samples[name].push(await once(cases[name]()));
  }
  const quantile = (list, q) => {
    const sorted = [...list].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  };
  const base = samples[names[0]];
  const [b10, b50] = [quantile(base, 0.1), quantile(base, 0.5)];
  console.log(`${rounds} interleaved rounds, ${databaseUrl.split(':')[0]}, limiter off`);
  console.log('case | p10 µs | p50 µs | p10 ratio | p50 ratio');
  for (const name of names) {
    const [p10, p50] = [quantile(samples[name], 0.1), quantile(samples[name], 0.5)];
    console.log(
      `${name} | ${p10.toFixed(0)} | ${p50.toFixed(0)} | ${(p10 / b10).toFixed(3)} | ${(p50 / b50).toFixed(3)}`,
    );
  }
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
