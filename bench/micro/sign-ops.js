// The crypto ceiling of the token endpoint: how many RS256 and Ed25519 signatures one core makes
// with node:crypto in a synchronous loop (the call our token endpoint makes), and, to show what
// jose's asynchronous WebCrypto path costs (what oidc-provider calls, and what we called before),
// with jose's SignJWT, 10 in flight.
//
//   node bench/micro/sign-ops.js --durationSec 3     (prints one JSON line)
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { parseArgs } from '../lib/child.js';
import { jose } from '../lib/jose.js';
import { asyncRate, syncRate } from './loop.js';

const durationSec = Number(parseArgs().durationSec ?? 3);
const claims = () => ({
  iss: 'http://127.0.0.1:8080',
  sub: 'c_0123456789abcdef',
  aud: 'bench_api',
  exp: Math.floor(Date.now() / 1000) + 900,
  iat: Math.floor(Date.now() / 1000),
  jti: randomUUID(),
  client_id: 'c_0123456789abcdef',
  scope: 'bench:read',
});
// A real JWS signing input: what each token costs to sign.
const header = { alg: 'RS256', typ: 'at+jwt', kid: 'x'.repeat(43) };
const signingInput = Buffer.from(
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`,
);

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const ed = generateKeyPairSync('ed25519').privateKey;
const result = {
  rs256: syncRate(() => sign('sha256', signingInput, rsa), durationSec),
  ed25519: syncRate(() => sign(null, signingInput, ed), durationSec),
};
const joseSign = (alg, key) => () =>
  new jose.SignJWT(claims()).setProtectedHeader({ alg, typ: 'at+jwt', kid: 'k' }).sign(key);
const rsaJose = await jose.importPKCS8(rsa.export({ type: 'pkcs8', format: 'pem' }), 'RS256');
const edJose = await jose.importPKCS8(ed.export({ type: 'pkcs8', format: 'pem' }), 'EdDSA');
result.joseRs256 = await asyncRate(joseSign('RS256', rsaJose), durationSec, 10);
result.joseEd25519 = await asyncRate(joseSign('EdDSA', edJose), durationSec, 10);
process.stdout.write(`${JSON.stringify(result)}\n`);
