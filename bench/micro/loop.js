// Time-bounded operation loops for the single-core ceilings.

/** Runs the synchronous `op` for `durationSec` seconds; returns operations per second. */
export function syncRate(op, durationSec) {
  const start = performance.now();
  const end = start + durationSec * 1000;
  let count = 0;
  let now = start;
  while (now < end) {
    // Batches of 16 keep the clock reads out of the measurement.
    for (let i = 0; i < 16; i++) op(count++);
    now = performance.now();
  }
  return (count * 1000) / (now - start);
}

/**
 * Runs the asynchronous `op` for `durationSec` seconds with `inFlight` calls outstanding at a time
 * (as a server with that many connections would); returns operations per second.
 */
export async function asyncRate(op, durationSec, inFlight) {
  const start = performance.now();
  const end = start + durationSec * 1000;
  let count = 0;
  const worker = async () => {
    while (performance.now() < end) await op(count++);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (count * 1000) / (performance.now() - start);
}
