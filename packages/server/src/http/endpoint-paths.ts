/** Path of the token endpoint (RFC 6749 §3.2), below the issuer's path. */
export const TOKEN_PATH = '/oauth/token';
/** Path of the JWK Set (RFC 7517 §5), below the issuer's path. */
export const JWKS_PATH = '/.well-known/jwks.json';
