/**
 * One small application per framework, each on 127.0.0.1 (port 0), with the same three routes
 * protected by the framework's adapter, written the way its documentation shows:
 * - `GET /doctors` needs `doctors:read`, answers `{ clientId, scopes }`;
 * - `POST /doctors` needs `doctors:write`, then parses the JSON body and answers
 *   `{ clientId, received }` (the body parser comes after authentication);
 * - `GET /outage` uses a second verifier (whose JWKS is down) and answers `{ clientId }`.
 */
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { serve } from '@hono/node-server';
import type { AuthInfo, Verifier } from '@m2m-auth/verifier';
import { requireToken as expressRequireToken } from '@m2m-auth/verifier/express';
import { requireToken as fastifyRequireToken, fastifyVerifier } from '@m2m-auth/verifier/fastify';
import { type AuthEnv, requireToken as honoRequireToken } from '@m2m-auth/verifier/hono';
import { type AuthState, requireToken as koaRequireToken } from '@m2m-auth/verifier/koa';
import { Auth, M2MAuthModule, RequireScopes, RequireTokenGuard } from '@m2m-auth/verifier/nest';
import { Controller, Get, HttpCode, Module, Post, Req, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';

export interface App {
  readonly url: string;
  close(): Promise<void>;
}

export interface AppVerifiers {
  /** Verifies the test tokens. */
  readonly verifier: Verifier;
  /** Its JWKS URL refuses connections. */
  readonly outage: Verifier;
}

export type StartApp = (verifiers: AppVerifiers) => Promise<App>;

function closeServer(server: import('node:http').Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export const startExpress: StartApp = async ({ verifier, outage }) => {
  const app = express();
  app.get('/doctors', expressRequireToken({ verifier, scopes: ['doctors:read'] }), (req, res) => {
    res.json({ clientId: req.auth?.clientId, scopes: req.auth?.scopes });
  });
  app.post(
    '/doctors',
    expressRequireToken({ verifier, scopes: ['doctors:write'] }),
    express.json(),
    (req, res) => {
      res.json({ clientId: req.auth?.clientId, received: req.body });
    },
  );
  app.get('/outage', expressRequireToken({ verifier: outage }), (req, res) => {
    res.json({ clientId: req.auth?.clientId });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => closeServer(server),
  };
};

export const startFastify: StartApp = async ({ verifier, outage }) => {
  const app = Fastify();
  await app.register(fastifyVerifier, { verifier });
  app.get(
    '/doctors',
    { onRequest: app.requireToken({ scopes: ['doctors:read'] }) },
    async (request) => ({ clientId: request.auth?.clientId, scopes: request.auth?.scopes }),
  );
  app.post(
    '/doctors',
    { onRequest: app.requireToken({ scopes: ['doctors:write'] }) },
    async (request) => ({ clientId: request.auth?.clientId, received: request.body }),
  );
  app.get('/outage', { onRequest: fastifyRequireToken({ verifier: outage }) }, async (request) => ({
    clientId: request.auth?.clientId,
  }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
};

export const startHono: StartApp = async ({ verifier, outage }) => {
  const app = new Hono<AuthEnv>();
  app.get('/doctors', honoRequireToken({ verifier, scopes: ['doctors:read'] }), (c) =>
    c.json({ clientId: c.get('auth').clientId, scopes: c.get('auth').scopes }),
  );
  app.post('/doctors', honoRequireToken({ verifier, scopes: ['doctors:write'] }), async (c) =>
    c.json({ clientId: c.get('auth').clientId, received: await c.req.json() }),
  );
  app.get('/outage', honoRequireToken({ verifier: outage }), (c) =>
    c.json({ clientId: c.get('auth').clientId }),
  );
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(started as import('node:http').Server),
    );
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => closeServer(server),
  };
};

export const startKoa: StartApp = async ({ verifier, outage }) => {
  const app = new Koa<AuthState>();
  const readDoctors = koaRequireToken({ verifier, scopes: ['doctors:read'] });
  const writeDoctors = koaRequireToken({ verifier, scopes: ['doctors:write'] });
  const outageRoute = koaRequireToken({ verifier: outage });
  // A router in three lines rather than a dependency: each route runs its adapter, then the handler.
  app.use((ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/doctors') {
      return readDoctors(ctx, async () => {
        ctx.body = { clientId: ctx.state.auth.clientId, scopes: ctx.state.auth.scopes };
      });
    }
    if (ctx.method === 'POST' && ctx.path === '/doctors') {
      return writeDoctors(ctx, async () => {
        const received: unknown = JSON.parse(await text(ctx.req));
        ctx.body = { clientId: ctx.state.auth.clientId, received };
      });
    }
    if (ctx.method === 'GET' && ctx.path === '/outage') {
      return outageRoute(ctx, async () => {
        ctx.body = { clientId: ctx.state.auth.clientId };
      });
    }
    return next();
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => closeServer(server),
  };
};

export const startNest: StartApp = async ({ verifier, outage }) => {
  // Decorators applied as functions: the test files are compiled without decorator support.
  class DoctorsController {
    list(auth: AuthInfo) {
      return { clientId: auth.clientId, scopes: auth.scopes };
    }
    async create(auth: AuthInfo, req: import('node:http').IncomingMessage) {
      // bodyParser is off: the body is read here, after the guard.
      return { clientId: auth.clientId, received: JSON.parse(await text(req)) as unknown };
    }
    outage(auth: AuthInfo) {
      return { clientId: auth.clientId };
    }
  }
  const proto = DoctorsController.prototype;
  const method = (name: keyof DoctorsController, ...decorators: MethodDecorator[]) => {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name) as PropertyDescriptor;
    for (const decorate of decorators.reverse()) decorate(proto, name, descriptor);
  };
  method('list', Get('doctors'), RequireScopes('doctors:read'));
  Auth()(proto, 'list', 0);
  method('create', Post('doctors'), HttpCode(200), RequireScopes('doctors:write'));
  Auth()(proto, 'create', 0);
  Req()(proto, 'create', 1);
  // A guard instance with its own verifier, for the route whose key source is down.
  method('outage', Get('outage'), UseGuards(new RequireTokenGuard(outage)));
  Auth()(proto, 'outage', 0);
  Controller()(DoctorsController);

  class AppModule {}
  Module({ imports: [M2MAuthModule.forRoot({ verifier })], controllers: [DoctorsController] })(
    AppModule,
  );
  const app = await NestFactory.create(AppModule, { bodyParser: false, logger: false });
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as import('node:http').Server;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await app.close();
    },
  };
};

export const FRAMEWORKS: ReadonlyArray<readonly [string, StartApp]> = [
  ['Express', startExpress],
  ['Fastify', startFastify],
  ['Hono', startHono],
  ['Koa', startKoa],
  ['NestJS', startNest],
];
