// Time-bounded operation loops for the single-core ceilings (run pinned to the server core).
import { coreBusySec, SERVER_CORE } from '../lib/processes.js';

/**
 * Runs the synchronous `op` for `durationSec` seconds.
 *
 * @returns `{ perSec, cpuUs, foreignShare }`: operations per second of wall time, CPU µs per
 *   operation (this process, all threads), and the share of the core other processes took.
 */
export function syncRate(op, durationSec) {
  const cpuStart = process.cpuUsage();
  const coreStart = coreBusySec(SERVER_CORE);
  const start = performance.now();
  const end = start + durationSec * 1000;
  let count = 0;
  let now = start;
  while (now < end) {
    // Batches of 16 keep the clock reads out of the measurement.
    for (let i = 0; i < 16; i++) op(count++);
    now = performance.now();
  }
  return figures(count, now - start, process.cpuUsage(cpuStart), coreStart);
}

/**
 * Runs the asynchronous `op` for `durationSec` seconds with `inFlight` calls outstanding at a time
 * (as a server with that many connections would).
 *
 * @returns `{ perSec, cpuUs }` as {@link syncRate}.
 */
export async function asyncRate(op, durationSec, inFlight) {
  const cpuStart = process.cpuUsage();
  const coreStart = coreBusySec(SERVER_CORE);
  const start = performance.now();
  const end = start + durationSec * 1000;
  let count = 0;
  const worker = async () => {
    while (performance.now() < end) await op(count++);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return figures(count, performance.now() - start, process.cpuUsage(cpuStart), coreStart);
}

function figures(count, elapsedMs, cpu, coreStart) {
  const coreEnd = coreBusySec(SERVER_CORE);
  const ownSec = (cpu.user + cpu.system) / 1e6;
  return {
    perSec: (count * 1000) / elapsedMs,
    cpuUs: (cpu.user + cpu.system) / count,
    // Share of the core that other processes took meanwhile.
    foreignShare:
      coreStart === undefined || coreEnd === undefined
        ? undefined
        : Math.max(0, (coreEnd - coreStart - ownSec) / (elapsedMs / 1000)),
  };
}
