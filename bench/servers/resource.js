// The small local HTTP server the client row calls: 200 with a short JSON body, nothing else.
import { createServer } from 'node:http';
import { reportReady } from '../lib/child.js';

const body = Buffer.from('{"ok":true}');
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    response.end(body);
  });
});
server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
reportReady(
  { url: `http://127.0.0.1:${server.address().port}/resource` },
  { close: () => new Promise((resolve) => server.close(resolve)) },
);
