/**
 * The checks the verifier adds on top of jose (RFC 7515 §7.1 compact serialization, RFC 7519
 * §7.2), each shown with a token that jose on its own accepts where that is the case.
 */
import { createVerifier, type Verifier, VerifierError } from '@m2m-auth/verifier';
import { compactVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIENCE,
  b64url,
  claimsJson,
  createTestKey,
  headerJson,
  ISSUER,
  mintToken,
  signInput,
  signRaw,
  type TestKey,
} from './helpers/tokens.js';

let key: TestKey;
let verifier: Verifier;

beforeAll(async () => {
  key = await createTestKey('RS256');
  verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    publicKey: key.publicPem,
    logger: false,
    tokenCache: false,
  });
});

async function codeOf(token: string): Promise<string> {
  try {
    await verifier.verify(token);
  } catch (err) {
    expect(err).toBeInstanceOf(VerifierError);
    return (err as VerifierError).code;
  }
  return 'accepted';
}

/** Whether jose alone verifies the token's signature with the same key. */
async function joseAccepts(token: string): Promise<boolean> {
  try {
    await compactVerify(token, key.publicKey, { algorithms: ['RS256'] });
    return true;
  } catch {
    return false;
  }
}

describe('canonical base64url', () => {
  it('accepts the canonical token (baseline)', async () => {
    expect(await codeOf(await mintToken(key))).toBe('accepted');
  });

  it('rejects padding that jose accepts', async () => {
    const token = await mintToken(key);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // RS256 signatures are 256 bytes: 342 characters, so two padding characters make them whole.
    const padded = `${header}.${payload}.${signature}==`;
    expect(await joseAccepts(padded)).toBe(true);
    expect(await codeOf(padded)).toBe('ERR_TOKEN_MALFORMED');
  });

  it('rejects whitespace inside a segment', async () => {
    const token = await mintToken(key);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    for (const ws of [' ', '\n', '\t', '\r\n']) {
      const spaced = `${header}.${payload}.${signature.slice(0, 100)}${ws}${signature.slice(100)}`;
      expect(await codeOf(spaced)).toBe('ERR_TOKEN_MALFORMED');
    }
  });

  it('rejects non-zero trailing bits that jose accepts', async () => {
    const token = await mintToken(key);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // 342 = 4·85 + 2: the last character carries 2 data bits and 4 bits that must be zero.
    const last = signature.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) + 1] as string;
    const variant = `${header}.${payload}.${signature.slice(0, -1)}${sibling}`;
    expect(Buffer.from(variant.split('.')[2] as string, 'base64url')).toEqual(
      Buffer.from(signature, 'base64url'),
    );
    expect(await joseAccepts(variant)).toBe(true);
    expect(await codeOf(variant)).toBe('ERR_TOKEN_MALFORMED');
  });

  it('rejects the base64 alphabet (+ and /) in place of base64url', async () => {
    const input = `${b64url(headerJson(key))}.${b64url(claimsJson())}`;
    let signature = signInput(key, input);
    // Find a signature with a - or _ to translate; re-sign with fresh claims until one has it.
    let claims = claimsJson();
    let tries = 0;
    while (!/[-_]/.test(signature) && tries++ < 50) {
      claims = claimsJson({ jti: `j${tries}` });
      signature = signInput(key, `${b64url(headerJson(key))}.${b64url(claims)}`);
    }
    const std = signature.replace(/-/g, '+').replace(/_/g, '/');
    const token = `${b64url(headerJson(key))}.${b64url(claims)}.${std}`;
    expect(await codeOf(token)).toBe('ERR_TOKEN_MALFORMED');
  });

  it('rejects a segment of impossible length', async () => {
    const token = await mintToken(key);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // 345 = 4·86 + 1 characters: no byte string encodes to that length.
    const impossible = `${header}.${payload}.${signature}AAA`;
    expect(await codeOf(impossible)).toBe('ERR_TOKEN_MALFORMED');
  });

  it('rejects characters outside any base64 alphabet, and an empty payload segment', async () => {
    const token = await mintToken(key);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // Node's decoder skips characters it does not know; the segment must still be refused.
    for (const odd of ['é', '\u0000', '*', '.']) {
      const at = Math.floor(payload.length / 2);
      const variant = `${header}.${payload.slice(0, at)}${odd}${payload.slice(at)}.${signature}`;
      expect(await codeOf(variant), JSON.stringify(odd)).toBe('ERR_TOKEN_MALFORMED');
    }
    expect(await codeOf(`${header}..${signature}`)).toBe('ERR_TOKEN_MALFORMED');
  });
});

describe('duplicate JSON member names', () => {
  it('rejects a header with a duplicated member', async () => {
    const header = `{"alg":"RS256","typ":"at+jwt","kid":"${key.kid}","typ":"at+jwt"}`;
    expect(await codeOf(signRaw(key, header, claimsJson()))).toBe('ERR_TOKEN_MALFORMED');
  });

  it('rejects a claims set with a duplicated aud that JSON.parse would silently resolve', async () => {
    const claims = claimsJson({ aud: 'ms_billing' }).replace('{', `{"aud":"${AUDIENCE}",`);
    const token = signRaw(key, headerJson(key), claims);
    expect(await joseAccepts(token)).toBe(true);
    expect(await codeOf(token)).toBe('ERR_TOKEN_MALFORMED');
  });

  it('rejects duplicates spelled with escapes', async () => {
    const claims = claimsJson().replace('{', '{"\\u0061ud":"other",');
    expect(await codeOf(signRaw(key, headerJson(key), claims))).toBe('ERR_TOKEN_MALFORMED');
  });

  it('rejects duplicates inside a nested object claim', async () => {
    const claims = claimsJson().replace('{', '{"cnf":{"x":1,"y":[{"a":1}],"x":2},');
    expect(await codeOf(signRaw(key, headerJson(key), claims))).toBe('ERR_TOKEN_MALFORMED');
  });

  it('accepts equal names in different objects and equal string values', async () => {
    const claims = claimsJson().replace(
      '{',
      '{"ext":{"aud":"x","list":["aud","aud"]},"ext2":{"aud":"x"},"note":"iss",',
    );
    expect(await codeOf(signRaw(key, headerJson(key), claims))).toBe('accepted');
  });
});

describe('other forms refused', () => {
  it('rejects a JWE (five segments) with a message that says so', async () => {
    const jwe = 'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.AAAA.AAAA.AAAA.AAAA';
    const err = await verifier.verify(jwe).catch((e: unknown) => e as VerifierError);
    expect(err).toBeInstanceOf(VerifierError);
    expect((err as VerifierError).code).toBe('ERR_TOKEN_MALFORMED');
    expect((err as VerifierError).message).toMatch(/JWE/);
  });

  it('rejects JWE header members in a three-part token', async () => {
    for (const extra of [',"enc":"A256GCM"', ',"zip":"DEF"']) {
      expect(await codeOf(signRaw(key, headerJson(key, extra), claimsJson()))).toBe(
        'ERR_TOKEN_MALFORMED',
      );
    }
  });

  it('rejects b64:false (RFC 7797 unencoded payload) and any b64 member', async () => {
    const claims = claimsJson();
    const header = headerJson(key, ',"b64":false,"crit":["b64"]');
    const unencoded = `${b64url(header)}.${claims}`;
    const token = `${unencoded}.${signInput(key, unencoded)}`;
    expect(await codeOf(token)).toBe('ERR_TOKEN_MALFORMED');
    // Same header with a detached, encoded payload: still refused.
    expect(await codeOf(signRaw(key, header, claims))).toBe('ERR_TOKEN_MALFORMED');
    expect(await codeOf(signRaw(key, headerJson(key, ',"b64":true'), claims))).toBe(
      'ERR_TOKEN_MALFORMED',
    );
  });

  it('rejects crit even when it lists a member jose understands', async () => {
    const header = headerJson(key, ',"crit":["b64"],"b64":true');
    expect(await codeOf(signRaw(key, header, claimsJson()))).toBe('ERR_TOKEN_MALFORMED');
  });

  it('rejects an unsigned token (empty signature)', async () => {
    const token = `${b64url(headerJson(key))}.${b64url(claimsJson())}.`;
    expect(await codeOf(token)).toBe('ERR_TOKEN_MALFORMED');
  });

  it('rejects a header or claims set that is not a JSON object', async () => {
    for (const header of ['[]', '"RS256"', 'null', '1']) {
      expect(await codeOf(signRaw(key, header, claimsJson()))).toBe('ERR_TOKEN_MALFORMED');
    }
    for (const claims of ['[]', '"x"', 'null', '{"a":1']) {
      expect(await codeOf(signRaw(key, headerJson(key), claims))).toBe('ERR_TOKEN_MALFORMED');
    }
  });

  it('rejects invalid UTF-8 and a byte-order mark', async () => {
    const header = b64url(headerJson(key));
    const badUtf8 = Buffer.concat([
      Buffer.from(claimsJson().slice(0, -1)),
      Buffer.from(',"x":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    const input = `${header}.${Buffer.from(badUtf8).toString('base64url')}`;
    expect(await codeOf(`${input}.${signInput(key, input)}`)).toBe('ERR_TOKEN_MALFORMED');
    expect(await codeOf(signRaw(key, `\uFEFF${headerJson(key)}`, claimsJson()))).toBe(
      'ERR_TOKEN_MALFORMED',
    );
  });

  it('rejects a kid that is not a string', async () => {
    const header = `{"alg":"RS256","typ":"at+jwt","kid":42}`;
    expect(await codeOf(signRaw(key, header, claimsJson()))).toBe('ERR_TOKEN_MALFORMED');
  });

  it('caps the size before parsing, at exactly maxTokenLength characters', async () => {
    const token = await mintToken(key);
    const exact = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKey: key.publicPem,
      maxTokenLength: token.length,
      logger: false,
    });
    await expect(exact.verify(token)).resolves.toBeDefined();
    const tighter = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKey: key.publicPem,
      maxTokenLength: token.length - 1,
      logger: false,
    });
    await expect(tighter.verify(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_TOO_LARGE' });
    // A megabyte of dots is refused by length alone.
    await expect(verifier.verify('.'.repeat(1 << 20))).rejects.toMatchObject({
      code: 'ERR_TOKEN_TOO_LARGE',
    });
  });
});
