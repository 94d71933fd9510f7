/** Outcome of {@link AssertionJtiStore.consume}. */
export type JtiConsumption = 'consumed' | 'replayed' | 'full';

/**
 * Single use of client assertions (RFC 7523 §3 item 7): every accepted `jti` is kept, per client,
 * until the assertion could no longer be accepted anyway. In the database, so that it holds across
 * instances sharing PostgreSQL. Writing here never moves the store revision.
 */
export interface AssertionJtiStore {
  /**
   * Records `jti` for `clientId` until `expiresAt` (Unix seconds), atomically: of two concurrent
   * calls with the same pair, on any instance, exactly one gets `consumed`.
   *
   * @param maxPerClient - bound of unexpired entries per client; beyond it: `full` (refuse).
   * @returns `consumed` (first use), `replayed` (seen before and not expired) or `full`.
   */
  consume(
    clientId: string,
    jti: string,
    expiresAt: number,
    maxPerClient: number,
  ): Promise<JtiConsumption>;
  /** Deletes entries expired before `now` (default: the store's clock); returns how many. */
  purge(now?: number): Promise<number>;
}
