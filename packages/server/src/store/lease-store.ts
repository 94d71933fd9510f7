/** Options of {@link LeaseStore.run}. */
export interface LeaseOptions {
  /**
   * How long the lease outlives its holder's last renewal, seconds (the holder renews it every third
   * of this while it runs); a holder that dies releases it after at most this long. Default 60.
   */
  ttlSec?: number;
  /** How long to wait for another holder, seconds; default 120. */
  waitSec?: number;
}

/**
 * Named leases held in the database (table `m2m_leases`): a process that runs work which must not
 * interleave with the same work elsewhere (two `m2m-auth provision` runs) holds the lease for its
 * duration. Leases expire, so a holder that crashes blocks others for at most `ttlSec`. Taking or
 * renewing a lease changes no revision (servers keep their caches).
 */
export interface LeaseStore {
  /**
   * Runs `fn` while holding the lease `name`, waiting for the current holder if there is one.
   *
   * @returns what `fn` returns; the lease is released whether it resolves or throws.
   * @throws {StoreError} `ERR_LEASE_BUSY` when another holder kept it for longer than `waitSec`;
   *   `ERR_DATABASE_ERROR` when the database fails.
   */
  run<T>(name: string, fn: () => Promise<T>, options?: LeaseOptions): Promise<T>;
}
