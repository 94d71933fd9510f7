// The child side of startPinned: report readiness, answer requests, die with the parent.

/**
 * Tells the orchestrator this child is ready, and makes the child exit when the orchestrator goes
 * away (its IPC channel closes) or sends SIGTERM, running `close` first.
 *
 * @param info - sent with `ready: true` (e.g. `{ url }`).
 * @param options - `close()`: graceful shutdown; `handlers`: `{ [type]: (message) => reply }`;
 *   a handler's failure is replied as `{ error }`.
 */
export function reportReady(info, { close = async () => {}, handlers = {} } = {}) {
  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    const force = setTimeout(() => process.exit(0), 3_000);
    force.unref();
    Promise.resolve()
      .then(close)
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('disconnect', shutdown);
  process.on('message', async (message) => {
    const handler = handlers[message?.type];
    if (handler === undefined) return;
    try {
      const reply = await handler(message);
      process.send?.({ ...reply, id: message.id });
    } catch (err) {
      process.send?.({ error: String(err?.stack ?? err), id: message.id });
    }
  });
  process.send?.({ ready: true, ...info });
}

/** The `--name value` options of argv as an object. */
export function parseArgs(argv = process.argv.slice(2)) {
  const options = {};
  for (let i = 0; i < argv.length; i += 2) options[argv[i].replace(/^--/, '')] = argv[i + 1];
  return options;
}

/**
 * Waits (at most 10 s) until a verifier with `revocationsUri` has fetched the feed and lists
 * `config.revokedClients` clients, verifying `config.tokens[0]` (which starts the polling).
 *
 * @throws Error when the feed is not loaded by then: the feed-on figures would mean nothing.
 */
export async function feedLoaded(verifier, config) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await verifier.verify(config.tokens[0], { scopes: [config.scope] });
    } catch {
      // The first verification may come before the first fetch; only the status matters here.
    }
    const status = verifier.revocationStatus();
    if (status?.fetchedAt !== undefined && status.revokedClients >= config.revokedClients) return;
    if (Date.now() > deadline) {
      throw new Error(`revocation feed not loaded: ${JSON.stringify(status)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
