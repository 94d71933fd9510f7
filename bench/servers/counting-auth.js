// Our authorization server (startServer, as `m2m-auth serve` runs it) with a count of the token
// requests it receives, read over IPC: the client row counts at the server, not in the client.
//
//   node bench/servers/counting-auth.js --database <url>    (M2M_AUTH_KEK in the environment)
import { startServer } from '@m2m-auth/server';
import { parseArgs, reportReady } from '../lib/child.js';

const server = await startServer({ databaseUrl: parseArgs().database, port: 0 });
let tokenRequests = 0;
server.app.server.on('request', (request) => {
  if (request.method === 'POST' && request.url?.startsWith('/oauth/token')) tokenRequests++;
});
reportReady(
  { url: server.url },
  { close: () => server.close(), handlers: { count: () => ({ tokenRequests }) } },
);
