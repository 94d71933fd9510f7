// oidc-provider 9 as a client_credentials authorization server issuing RS256 JWT access tokens
// (features.clientCredentials, features.resourceIndicators with accessTokenFormat 'jwt'): the
// peer of our token endpoint. In-memory adapter (its default), no logging.
//
//   node bench/servers/oidc-provider.js --config <file.json>
//   config: { privateJwk, clientId, clientSecret, resource, scope }
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { parseArgs, reportReady } from '../lib/child.js';

const config = JSON.parse(readFileSync(parseArgs().config, 'utf8'));
const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(url, {
  clients: [
    {
      client_id: config.clientId,
      client_secret: config.clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: config.scope,
    },
  ],
  jwks: { keys: [config.privateJwk] },
  cookies: { keys: ['bench-cookie-key-not-used-by-this-grant'] },
  scopes: [config.scope],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => config.resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resourceIndicator) => {
        if (resourceIndicator !== config.resource) throw new Provider.errors.InvalidTarget();
        return {
          scope: config.scope,
          audience: config.resource,
          accessTokenTTL: 900,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});
server.on('request', provider.callback());
reportReady(
  { url, tokenPath: '/token' },
  { close: () => new Promise((resolve) => server.close(resolve)) },
);
