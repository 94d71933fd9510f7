import type { FastifyInstance } from 'fastify';
import { AuthServerError } from '../../errors/auth-server-error.js';
import { parseFormBody } from './parse-form-body.js';
import { parseJsonBody } from './parse-json-body.js';

/**
 * Replaces Fastify's body parsers with ours: form (RFC 6749 Appendix B) and JSON bodies become a
 * parameter record, anything else is refused with `invalid_request` before it is read.
 */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer' },
    (_request, body, done) => {
      try {
        done(null, parseFormBody(body as Buffer));
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('*', (_request, _payload, done) => {
    done(new AuthServerError('ERR_REQUEST_CONTENT_TYPE'), undefined);
  });
}
