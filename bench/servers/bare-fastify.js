// HTTP ceiling of the token endpoint: Fastify answering the same POST (Basic header, form body)
// with a token-sized JSON body, doing no authentication and no signing.
import Fastify from 'fastify';
import { reportReady } from '../lib/child.js';

const app = Fastify({ logger: false });
app.addContentTypeParser(
  'application/x-www-form-urlencoded',
  { parseAs: 'string' },
  (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body))),
);
const body = {
  access_token: 'x'.repeat(600),
  token_type: 'Bearer',
  expires_in: 900,
  scope: 'bench:read',
};
app.post('/oauth/token', async (request, reply) => {
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  if (request.body?.grant_type !== 'client_credentials') reply.code(400);
  return body;
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
reportReady({ url }, { close: () => app.close() });
