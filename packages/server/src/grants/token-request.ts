import type { ClientCredentials, ClientPublicKeys } from '../clients/client-store.js';
import type { PresentedClientCredentials } from './internal/extract-client-credentials.js';

/** A token request as the HTTP layer hands it over. */
export interface TokenRequest {
  /** Parsed body parameters (form or JSON); repeated form parameters are arrays. */
  params: Record<string, unknown>;
  /** The raw `Authorization` header, if any. */
  authorization: string | undefined;
  /** Source address of the request, handed to `admitClient` and `clientAuthenticated`. */
  sourceAddress?: string;
  /**
   * Filled in by the grant as it learns them, so that a refusal can be audited with what was
   * asked for. Never holds the client secret.
   */
  facts?: TokenRequestFacts;
}

/** What the grant learned about a request before it succeeded or was refused. */
export interface TokenRequestFacts {
  /** The presented client_id (not yet authenticated: may be anything the caller sent). */
  clientId?: string;
  /** How the client authenticated. */
  authMethod?: PresentedClientCredentials['method'];
  /** The `scope` parameter as sent. */
  requestedScope?: string;
  /** Whether the client authenticated (its client_id is then a registered one). */
  authenticated?: boolean;
  /** The `audience` (or else `resource`) parameter as sent. */
  requestedAudience?: string;
}

/**
 * What client authentication needs from the server: the client lookup, the secret check (fast
 * hashes and legacy Passport ones), the `private_key_jwt` and trusted-issuer checks, and the failure
 * limits. The token endpoint's grant context is one; introspection and revocation use the same.
 */
export interface ClientAuthenticationContext {
  /** The client and its accepted secret hashes, or undefined for an unknown client_id. */
  findClient(clientId: string): Promise<ClientCredentials | undefined>;
  /**
   * True when `secret` matches one of `credentials`' unexpired hashes (constant time); a promise
   * when a slow legacy hash (adopted from Laravel Passport) has to be checked.
   */
  verifySecret(
    credentials: ClientCredentials | undefined,
    secret: string,
    nowSec: number,
  ): boolean | Promise<boolean>;
  /**
   * Checks a `private_key_jwt` assertion (see `verifyClientAssertion`); throws
   * `ClientAssertionRefused` with the reason. Absent: such assertions are refused.
   */
  verifyAssertion?(
    assertion: string,
    clientId: string,
    publicKeys: ClientPublicKeys,
    nowSec: number,
  ): Promise<void>;
  /**
   * Workload identity: when the assertion's (unverified) `iss` is a trusted issuer, the client
   * bound to its `sub` and a check of the token (throws `ClientAssertionRefused`); undefined when
   * the issuer is not trusted (the assertion is then a private_key_jwt one).
   */
  findFederated?(assertion: string): Promise<
    | {
        credentials: ClientCredentials | undefined;
        verify(nowSec: number): Promise<void>;
      }
    | undefined
  >;
  /**
   * Optional gate run with the presented client_id before the client is looked up or its secret
   * compared: throw an AuthServerError (e.g. `ERR_CLIENT_AUTH_RATE_LIMITED`) to refuse.
   */
  admitClient?(clientId: string, request: TokenRequest): void;
  /** Optional: told the outcome of every secret check (unknown and revoked clients fail). */
  clientAuthenticated?(clientId: string, ok: boolean, request: TokenRequest): void;
}
