/** Default access-token lifetime, seconds: short, so that a revoked client stops within 15 minutes. */
export const DEFAULT_TOKEN_TTL_SEC = 900;
/** Longest access-token lifetime a client may have, seconds (one day). */
export const MAX_TOKEN_TTL_SEC = 86_400;
