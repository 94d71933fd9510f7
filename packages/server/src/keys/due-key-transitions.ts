import type { KeyStore, RefusedActivation, SigningKeyRecord } from './key-store.js';

/** Where {@link DueKeyTransitions} reports (a pino or Fastify logger fits). */
export interface DueKeyTransitionsLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Applies the key transitions that time has made due (a `next` key becoming `active`, expired
 * retired keys leaving) for a long-running server, and remembers the activations this process
 * refused because it cannot decrypt the key. The HTTP layer's cache only reads the keys: the
 * composition root hands it this object, which it asks to run before it reloads keys whose view
 * time has ended (so a token is never signed by a key whose time is over). Writes happen only when
 * a step is due, i.e. at a key's transition time, never per token.
 */
export class DueKeyTransitions {
  readonly #keys: KeyStore;
  readonly #logger: DueKeyTransitionsLogger;
  /** Due `next` keys this instance refused to activate (it cannot decrypt them), by kid. */
  readonly #refused = new Map<string, RefusedActivation>();

  /**
   * @param keys the store's keys
   * @param logger receives one line per change and per newly refused activation
   */
  constructor(keys: KeyStore, logger: DueKeyTransitionsLogger) {
    this.#keys = keys;
    this.#logger = logger;
  }

  /**
   * Applies what is due at `nowSec` (Unix seconds). Never throws: a failure is logged and the
   * current keys keep serving (the next load tries again).
   */
  async apply(nowSec: number): Promise<void> {
    try {
      const change = await this.#keys.advance(nowSec);
      for (const refused of change.refused) {
        if (!this.#refused.has(refused.kid)) {
          this.#logger.error(
            { kid: refused.kid, code: refused.code, reason: refused.message },
            'signing key activation refused: this instance cannot decrypt the key (check M2M_AUTH_KEK); the current key keeps signing',
          );
        }
        this.#refused.set(refused.kid, refused);
      }
      if (change.activated.length > 0 || change.removed.length > 0) {
        this.#logger.info(
          {
            activated: change.activated.map((key) => key.kid),
            retired: change.retired.map((key) => key.kid),
            removed: change.removed,
          },
          'signing key lifecycle advanced',
        );
      }
    } catch (err) {
      this.#logger.error({ err }, 'applying due signing-key transitions failed');
    }
  }

  /**
   * Forgets refusals that are over: a refusal lasts while the key waits as `next` (revoked, or
   * activated elsewhere, it is over).
   *
   * @param published the keys as just read
   */
  settle(published: readonly SigningKeyRecord[]): void {
    for (const kid of this.#refused.keys()) {
      if (!published.some((key) => key.kid === kid && key.state === 'next')) {
        this.#refused.delete(kid);
      }
    }
  }

  /** The due activations this instance refused (empty when all is well). */
  refused(): RefusedActivation[] {
    return [...this.#refused.values()];
  }
}
