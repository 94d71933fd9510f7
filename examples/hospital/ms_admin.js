// ms_admin: a calling service. Its back-office page needs data from ms_doctor, ms_college,
// ms_pharmacy and ms_lab, so it gets access tokens from the auth-service with its own client_id and
// secret (cached and renewed by @m2m-auth/client) and sends them as Bearer tokens: with the
// client's fetch, through an undici dispatcher and through axios, one token cache for all three.
//
//   MS_DOCTOR_URL=http://127.0.0.1:3001 MS_COLLEGE_URL=http://127.0.0.1:3002 \
//   MS_PHARMACY_URL=http://127.0.0.1:3003 MS_LAB_URL=http://127.0.0.1:3004 \
//     node --env-file=ms_admin.env ms_admin.js
//
// Its .env (written by `m2m-auth provision`) gives AUTH_URL, OAUTH_CLIENT_ID and
// OAUTH_CLIENT_SECRET; PORT is optional (default 0: any free port).
import { createServer } from 'node:http';
import { createTokenClient } from '@m2m-auth/client';
import { attachTokenInterceptors } from '@m2m-auth/client/axios';
import { createTokenInterceptor } from '@m2m-auth/client/undici';
import axios from 'axios';
import { Agent, request } from 'undici';

// One token client per process: it holds the token cache. Reads AUTH_URL, OAUTH_CLIENT_ID and
// OAUTH_CLIENT_SECRET, and throws at start if one is missing.
const auth = createTokenClient();

const doctorsUrl = new URL('/doctors/api/some-data', process.env.MS_DOCTOR_URL);
const collegesUrl = new URL('/colleges/api/some-data', process.env.MS_COLLEGE_URL);
// ms_pharmacy and ms_lab are optional: without their URL, the overview leaves them out.
const pharmacyUrl = optionalUrl('/pharmacy/api/some-data', process.env.MS_PHARMACY_URL);
const labUrl = optionalUrl('/lab/api/some-data', process.env.MS_LAB_URL);

function optionalUrl(path, base) {
  return base ? new URL(path, base) : undefined;
}

// undici: tokens go to ms_pharmacy's origin only, whatever else this dispatcher is used for.
const dispatcher =
  pharmacyUrl &&
  new Agent().compose(
    createTokenInterceptor({
      client: auth,
      origins: { [pharmacyUrl.origin]: { audience: 'ms_pharmacy', scope: 'prescriptions:read' } },
    }),
  );
// axios: the same, for ms_lab's origin. Every status is an answer here, not an exception.
const http = axios.create({ validateStatus: () => true });
if (labUrl) {
  attachTokenInterceptors(http, {
    client: auth,
    origins: { [labUrl.origin]: { audience: 'ms_lab', scope: 'lab-results:read' } },
  });
}

/** Calls a service with a token for its audience; always name the scope this call needs. */
async function callService(url, audience, scope) {
  const res = await auth.fetch(url, {}, { audience, scope });
  return { status: res.status, body: await res.json().catch(() => null) };
}

// The back office's own users and their login are out of scope here: this page is open, on
// 127.0.0.1 only.
const server = createServer(async (req, res) => {
  if (req.method !== 'GET' || req.url !== '/admin/api/overview') {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
    return;
  }
  try {
    const [doctors, colleges, pharmacy, lab] = await Promise.all([
      callService(doctorsUrl, 'ms_doctor', 'doctors:read'),
      callService(collegesUrl, 'ms_college', 'colleges:read'),
      pharmacyUrl &&
        request(pharmacyUrl, { dispatcher }).then(async ({ statusCode, body }) => ({
          status: statusCode,
          body: await body.json().catch(() => null),
        })),
      labUrl && http.get(labUrl.href).then(({ status, data }) => ({ status, body: data })),
    ]);
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        ms_doctor: doctors,
        ms_college: colleges,
        ms_pharmacy: pharmacy,
        ms_lab: lab,
      }),
    );
  } catch (err) {
    // A TokenClientError's code and message carry no secret and no token.
    console.error(`ms_admin: ${err.code ?? 'error'}: ${err.message}`);
    res
      .writeHead(502, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: err.code ?? 'upstream_error' }));
  }
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`ms_admin listening on http://127.0.0.1:${server.address().port}`);
});
