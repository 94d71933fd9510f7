// Raw verification rates on one core, for the verification row: node:crypto's RS256 verify in a
// synchronous loop, jose.jwtVerify (as the verifier's jose runs it), and our verifier.verify
// with its cache off (every token verified) and on (one token repeated), 10 calls in flight.
//
//   node bench/micro/verify-ops.js --durationSec 3 --config <file.json>
//   config: { publicKeyPem, issuer, audience, scope, tokens }
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createVerifier } from '@m2m-auth/verifier';
import { parseArgs } from '../lib/child.js';
import { jose } from '../lib/jose.js';
import { asyncRate, syncRate } from './loop.js';

const args = parseArgs();
const durationSec = Number(args.durationSec ?? 3);
const config = JSON.parse(readFileSync(args.config, 'utf8'));
const { tokens } = config;
const parts = tokens.map((token) => {
  const [header, payload, signature] = token.split('.');
  return {
    input: Buffer.from(`${header}.${payload}`),
    signature: Buffer.from(signature, 'base64url'),
  };
});
const keyObject = createPublicKey(config.publicKeyPem);
const cryptoKey = await jose.importSPKI(config.publicKeyPem, 'RS256');
const joseOptions = {
  algorithms: ['RS256'],
  issuer: config.issuer,
  audience: config.audience,
  typ: 'at+jwt',
};
const options = {
  issuer: config.issuer,
  audience: config.audience,
  publicKey: config.publicKeyPem,
};
const uncached = createVerifier({ ...options, tokenCache: false });
const cached = createVerifier(options);
const scopes = { scopes: [config.scope] };
const pick = (i) => tokens[i % tokens.length];

const result = {
  cryptoVerify: syncRate((i) => {
    const { input, signature } = parts[i % parts.length];
    if (!verify('sha256', input, keyObject, signature)) throw new Error('bad signature');
  }, durationSec),
  joseJwtVerify: await asyncRate(
    (i) => jose.jwtVerify(pick(i), cryptoKey, joseOptions),
    durationSec,
    10,
  ),
  oursVerifyDistinct: await asyncRate((i) => uncached.verify(pick(i), scopes), durationSec, 10),
  oursVerifyCached: await asyncRate(() => cached.verify(tokens[0], scopes), durationSec, 10),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
