// ms_lab: a resource server (NestJS). It accepts access tokens minted for audience ms_lab; the
// module builds its verifier from the .env names (OAUTH_ISSUER, OAUTH_AUDIENCE and the public key
// file OAUTH_PUBLIC_KEY_PATH). Plain JavaScript: Nest's decorators are applied as functions.
//
//   node --env-file=ms_lab.env ms_lab.js
//
// PORT is optional (default 0: any free port).

import { Auth, M2MAuthModule, RequireScopes } from '@m2m-auth/verifier/nest';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

class LabController {
  results(auth) {
    return {
      results: [
        { id: 1, test: 'full blood count', status: 'final' },
        { id: 2, test: 'HbA1c', status: 'final' },
        { id: 3, test: 'troponin', status: 'pending' },
      ],
      // Who called, as verified: handy for audit logs (never log the token itself).
      caller: {
        clientId: auth.clientId,
        scopes: auth.scopes,
        expiresAt: new Date(auth.claims.exp * 1000).toISOString(),
      },
    };
  }
}
// In TypeScript: @Get('lab/api/some-data') @RequireScopes('lab-results:read') results(@Auth() auth)
const results = Object.getOwnPropertyDescriptor(LabController.prototype, 'results');
Get('lab/api/some-data')(LabController.prototype, 'results', results);
RequireScopes('lab-results:read')(LabController.prototype, 'results', results);
Auth()(LabController.prototype, 'results', 0);
Controller()(LabController);

class AppModule {}
// forRoot() with no options reads the .env names; a missing one throws here, at start.
Module({ imports: [M2MAuthModule.forRoot()], controllers: [LabController] })(AppModule);

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
console.log(`ms_lab listening on http://127.0.0.1:${app.getHttpServer().address().port}`);
