import { isScopeToken, type Verifier, type VerifyOptions } from '../../index.js';
import { checkOptionNames } from '../../internal/check-option-names.js';

/** Option names of an adapter's `requireToken({ verifier, scopes, realm })`. */
export const ROUTE_OPTION_NAMES: readonly string[] = ['verifier', 'scopes', 'realm'];

/** What both adapters need per protected route, checked once when the route is declared. */
export interface RouteOptions {
  readonly verifier: Verifier;
  readonly realm: string | undefined;
  /** Frozen once, so a request allocates no options object; `undefined` when no scope is required. */
  readonly verifyOptions: VerifyOptions | undefined;
}

/**
 * Checks an adapter's `{ verifier, scopes, realm }` at construction.
 *
 * @param name - the adapter function, for messages.
 * @param known - the option names this adapter function takes (default {@link ROUTE_OPTION_NAMES}).
 * @throws TypeError for an unknown option name (naming the closest valid one), when `verifier` is
 *   missing or a scope is not a scope token (RFC 6749 §3.3).
 */
export function resolveRouteOptions(
  name: string,
  options: {
    verifier?: Verifier;
    scopes?: readonly string[] | undefined;
    realm?: string | undefined;
  },
  known: readonly string[] = ROUTE_OPTION_NAMES,
): RouteOptions {
  if (typeof options === 'object' && options !== null) checkOptionNames(options, known, name);
  const verifier = options?.verifier;
  if (typeof verifier?.authenticate !== 'function') {
    throw new TypeError(`${name} needs { verifier } made with createVerifier`);
  }
  const scopes = options.scopes ?? [];
  if (!Array.isArray(scopes) || !scopes.every(isScopeToken)) {
    throw new TypeError('scopes must be a list of scope tokens (RFC 6749 §3.3)');
  }
  return {
    verifier,
    realm: options.realm ?? verifier.realm,
    verifyOptions:
      scopes.length === 0 ? undefined : Object.freeze({ scopes: Object.freeze([...scopes]) }),
  };
}
