import { AuthServerError } from '../../errors/auth-server-error.js';
import { StoreError } from '../../store/store-error.js';

/**
 * Maps anything thrown while handling a request to an {@link AuthServerError}: ours pass through,
 * Fastify's own client errors (body too large, bad Content-Length, unsupported media type) become
 * `invalid_request`, an unreachable database becomes a 503, and everything else `server_error`
 * with the original kept as the private `cause`.
 */
export function toAuthServerError(err: unknown): AuthServerError {
  if (err instanceof AuthServerError) return err;
  if (err instanceof StoreError && err.code === 'ERR_DATABASE_ERROR') {
    return new AuthServerError('ERR_STORE_UNAVAILABLE', { cause: err });
  }
  const fastifyCode = (err as { code?: unknown } | null)?.code;
  const statusCode = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof fastifyCode === 'string' && fastifyCode.startsWith('FST_')) {
    switch (fastifyCode) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return new AuthServerError('ERR_REQUEST_BODY_TOO_LARGE', { cause: err });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      case 'FST_ERR_CTP_INVALID_TYPE':
        return new AuthServerError('ERR_REQUEST_CONTENT_TYPE', { cause: err });
      default:
        if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
          return new AuthServerError('ERR_REQUEST_BODY_MALFORMED', { cause: err });
        }
    }
  }
  return new AuthServerError('ERR_INTERNAL', { cause: err });
}
