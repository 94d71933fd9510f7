import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  decodeJwt,
  postForm,
  readResponse,
  startTestAuthServer,
  type TestAuthServer,
} from './helpers/auth-server.js';

let auth: TestAuthServer;
beforeAll(async () => {
  auth = await startTestAuthServer();
});
afterAll(async () => {
  await auth?.close();
});

let counter = 0;
async function requestAudience(
  allowed: string[],
  params: [string, string][],
): Promise<{ status: number; body: Record<string, unknown> }> {
  counter += 1;
  const { clientId, clientSecret } = await auth.createClient({
    name: `caller_${counter}`,
    audiences: allowed,
    scopes: ['x'],
  });
  return readResponse(
    await postForm(auth.tokenUrl, [['grant_type', 'client_credentials'], ...params], {
      authorization: basicAuth(clientId, clientSecret),
    }),
  );
}

function audienceOf(body: Record<string, unknown>): unknown {
  return decodeJwt(String(body.access_token)).payload.aud;
}

describe('audience of the token (RFC 8707 resource indicators)', () => {
  it('gives a client with exactly one allowed audience that audience by default', async () => {
    const res = await requestAudience(['ms_doctor'], []);
    expect(res.status).toBe(200);
    expect(audienceOf(res.body)).toBe('ms_doctor');
  });

  it('refuses a client with several allowed audiences that names none, with invalid_target', async () => {
    const res = await requestAudience(['ms_doctor', 'ms_college'], []);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_target');
  });

  it('refuses a client with no allowed audience, with invalid_target', async () => {
    const res = await requestAudience([], []);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_target');
  });

  it('issues a token for the audience named by the audience parameter', async () => {
    const res = await requestAudience(['ms_doctor', 'ms_college'], [['audience', 'ms_college']]);
    expect(res.status).toBe(200);
    expect(audienceOf(res.body)).toBe('ms_college');
  });

  it('issues a token for the audience named by the resource parameter', async () => {
    const res = await requestAudience(
      ['https://doctor.internal', 'ms_college'],
      [['resource', 'https://doctor.internal']],
    );
    expect(res.status).toBe(200);
    expect(audienceOf(res.body)).toBe('https://doctor.internal');
  });

  it('accepts audience and resource naming the same service', async () => {
    const res = await requestAudience(
      ['ms_doctor', 'ms_college'],
      [
        ['audience', 'ms_doctor'],
        ['resource', 'ms_doctor'],
      ],
    );
    expect(res.status).toBe(200);
    expect(audienceOf(res.body)).toBe('ms_doctor');
  });

  it('refuses audience and resource naming different services, with invalid_target', async () => {
    const res = await requestAudience(
      ['ms_doctor', 'ms_college'],
      [
        ['audience', 'ms_doctor'],
        ['resource', 'ms_college'],
      ],
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_target');
  });

  it('refuses several resource parameters: one audience per token', async () => {
    const res = await requestAudience(
      ['ms_doctor', 'ms_college'],
      [
        ['resource', 'ms_doctor'],
        ['resource', 'ms_college'],
      ],
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_target');
  });

  it('refuses an audience the client is not allowed, even when it has a single default', async () => {
    const res = await requestAudience(['ms_doctor'], [['audience', 'ms_billing']]);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_target');
  });

  it('checks the client before the audience: an unauthenticated caller learns nothing about targets', async () => {
    const res = await readResponse(
      await postForm(
        auth.tokenUrl,
        { grant_type: 'client_credentials', audience: 'ms_billing' },
        { authorization: basicAuth('nobody', 'nothing') },
      ),
    );
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });
});
