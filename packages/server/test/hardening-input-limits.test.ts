/**
 * Input limits of the token endpoint over real HTTP: body size, head size, parameter count,
 * repeated parameters, invalid UTF-8, content types, nested or huge JSON, slow senders. Every bad
 * input gets a 4xx RFC 6749 §5.2 JSON answer — never a 500, never a hang.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  exchangeRaw,
  postForm,
  readResponse,
  startTestAuthServer,
  type TestAuthServer,
} from './helpers/auth-server.js';

let auth: TestAuthServer;
let client: { clientId: string; clientSecret: string };
beforeAll(async () => {
  auth = await startTestAuthServer({ requestTimeoutMs: 500, maxHeaderBytes: 4096 });
  client = await auth.createClient({ name: 'svc', audiences: ['ms_doctor'] });
});
afterAll(async () => {
  await auth?.close();
});

async function expectInvalidRequest(response: Promise<Response>, status = 400): Promise<void> {
  const res = await readResponse(await response);
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.body.error).toBe('invalid_request');
}

function postRaw(body: string | Buffer, contentType: string, headers: Record<string, string> = {}) {
  return fetch(auth.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body,
  });
}

describe('sizes and counts', () => {
  it('answers a request head over maxHeaderBytes with 431 and a JSON error', async () => {
    const reply = await exchangeRaw(auth.url, [
      `POST /oauth/token HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(8000)}\r\n\r\n`,
    ]);
    expect(reply).toMatch(/^HTTP\/1\.1 431 /);
    expect(reply).toMatch(/content-type: application\/json/i);
    expect(reply).toContain('"error":"invalid_request"');
    expect(reply).toMatch(/x-content-type-options: nosniff/i);
  });

  it('answers a JSON body over the body limit with 413 and a JSON error', async () => {
    const body = JSON.stringify({ grant_type: 'client_credentials', pad: 'x'.repeat(20_000) });
    await expectInvalidRequest(postRaw(body, 'application/json'), 413);
  });

  it('refuses more than 32 parameters, in a form or in JSON', async () => {
    const pairs: [string, string][] = [['grant_type', 'client_credentials']];
    for (let i = 0; i < 40; i += 1) pairs.push([`p${i}`, 'x']);
    await expectInvalidRequest(
      postForm(auth.tokenUrl, pairs, {
        authorization: basicAuth(client.clientId, client.clientSecret),
      }),
    );
    await expectInvalidRequest(
      postRaw(JSON.stringify(Object.fromEntries(pairs)), 'application/json', {
        authorization: basicAuth(client.clientId, client.clientSecret),
      }),
    );
    // 32 parameters are still fine.
    const ok = await postForm(auth.tokenUrl, pairs.slice(0, 32), {
      authorization: basicAuth(client.clientId, client.clientSecret),
    });
    expect(ok.status).toBe(200);
  });
});

describe('repeated parameters and JSON shape', () => {
  it('refuses any repeated parameter, including ones the server does not use (RFC 6749 §3.2)', async () => {
    await expectInvalidRequest(
      postForm(
        auth.tokenUrl,
        [
          ['grant_type', 'client_credentials'],
          ['foo', '1'],
          ['foo', '2'],
        ],
        { authorization: basicAuth(client.clientId, client.clientSecret) },
      ),
    );
    await expectInvalidRequest(
      postRaw('{"grant_type":"client_credentials","foo":["1","2"]}', 'application/json', {
        authorization: basicAuth(client.clientId, client.clientSecret),
      }),
    );
  });

  it('refuses nested and deeply nested JSON with 400', async () => {
    const send = (body: string) =>
      postRaw(body, 'application/json', {
        authorization: basicAuth(client.clientId, client.clientSecret),
      });
    await expectInvalidRequest(send('{"grant_type":"client_credentials","extra":{"a":1}}'));
    const deepObject = `{"grant_type":"client_credentials","x":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`;
    await expectInvalidRequest(send(deepObject));
    const deepArray = `{"grant_type":"client_credentials","x":${'['.repeat(7000)}${']'.repeat(7000)}}`;
    await expectInvalidRequest(send(deepArray));
  });
});

describe('encodings and content types', () => {
  it('refuses invalid UTF-8 inside Basic credentials as malformed client authentication', async () => {
    const header = `Basic ${Buffer.concat([Buffer.from('id:'), Buffer.from([0xc3, 0x28])]).toString('base64')}`;
    const res = await readResponse(
      await postForm(
        auth.tokenUrl,
        { grant_type: 'client_credentials' },
        { authorization: header },
      ),
    );
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('refuses a form body that is not UTF-8, whatever charset it declares', async () => {
    await expectInvalidRequest(
      postRaw(
        Buffer.from('grant_type=client_credentials&scope=caf\xe9', 'latin1'),
        'application/x-www-form-urlencoded; charset=ISO-8859-1',
      ),
    );
  });

  it('answers random bytes under every content type with a 4xx JSON error, never a 5xx', async () => {
    const types = [
      'application/x-www-form-urlencoded',
      'application/json',
      'text/plain',
      'application/octet-stream',
    ];
    for (let i = 0; i < 80; i += 1) {
      const body = randomBytes(1 + ((i * 37) % 600));
      const res = await postRaw(body, types[i % types.length] ?? 'application/json');
      const text = await res.text();
      expect(res.status, text).toBeGreaterThanOrEqual(400);
      expect(res.status, text).toBeLessThan(500);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(JSON.parse(text)).toHaveProperty('error');
    }
  });
});

describe('slow senders', () => {
  it('answers a body that stops arriving with 408 and closes the connection', async () => {
    const reply = await exchangeRaw(auth.url, [
      'POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
        'Content-Length: 100\r\n\r\ngrant_type=',
    ]);
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(reply).toContain('"error":"invalid_request"');
  });

  it('answers headers that never end with 408 and closes the connection', async () => {
    const reply = await exchangeRaw(auth.url, [
      'POST /oauth/token HTTP/1.1\r\nHost: x\r\nX-Slow: ',
    ]);
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
  });
});
