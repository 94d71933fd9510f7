// Bounded loads from the load core against servers on the server core.
import { fileURLToPath } from 'node:url';
import {
  coreBusySec,
  LOAD_CORE,
  processCpuSec,
  processMemoryMB,
  SERVER_CORE,
  startPinned,
} from './processes.js';

const LOAD_GENERATOR = fileURLToPath(new URL('./load-generator.js', import.meta.url));

/**
 * Starts the load generator (autocannon in one long-lived process on the load core).
 *
 * @returns `{ measure(spec, serverPid), stop() }`.
 */
export async function startLoadGenerator() {
  const generator = await startPinned({ core: LOAD_CORE, script: LOAD_GENERATOR });
  return {
    /**
     * One measurement: autocannon for `durationSec` with `connections` keep-alive connections,
     * after `warmupSec` of unrecorded load.
     *
     * @param spec - `{ url, method?, headers?, body?, authorizations?, connections, durationSec,
     *   warmupSec? }`.
     * @param serverPid - the server process, whose CPU time is read around the recorded load.
     * @returns `{ rps, ok, latencyMs: { mean, p50, p99, max }, serverCpuUsPerRequest,
     *   foreignShare, … }`.
     * @throws Error when any request failed or answered other than 2xx: such a figure means
     *   nothing.
     */
    async measure(spec, serverPid) {
      let result = await measureOnce(spec, serverPid);
      // No answer at all within a short window (and no error) means the server was starved of
      // its core, e.g. by a test suite running beside --quick: measure once more, longer, before
      // calling the load failed.
      if (result.ok === 0 && result.non2xx === 0 && result.errors === 0) {
        result = await measureOnce({ ...spec, durationSec: spec.durationSec * 4 }, serverPid);
      }
      if (result.non2xx > 0 || result.errors > 0 || result.ok === 0) {
        throw new Error(
          `load on ${spec.url} failed: ${result.ok} ok, ${result.non2xx} non-2xx, ${result.errors} errors`,
        );
      }
      return result;
    },
    stop: () => generator.stop(),
  };

  async function measureOnce(spec, serverPid) {
    let cpuAtStart;
    let coreAtStart;
    const result = await generator.request(
      { type: 'load', spec },
      (spec.durationSec + (spec.warmupSec ?? 0) + 30) * 1000,
      (message) => {
        if (message.type !== 'started') return;
        cpuAtStart = processCpuSec(serverPid);
        coreAtStart = coreBusySec(SERVER_CORE);
      },
    );
    const cpuAtEnd = processCpuSec(serverPid);
    const coreAtEnd = coreBusySec(SERVER_CORE);
    if (result.ok === 0) return result;
    // Resident memory of the server right after the load, and its peak so far (MB).
    const memory = processMemoryMB(serverPid);
    result.serverRssMB = memory?.rssMB;
    result.serverPeakRssMB = memory?.peakRssMB;
    // The server's own CPU time per request (all its threads): unlike requests/s, hardly moved
    // by other processes competing for the core.
    result.serverCpuUsPerRequest =
      cpuAtStart === undefined || cpuAtEnd === undefined
        ? undefined
        : ((cpuAtEnd - cpuAtStart) * 1e6) / result.ok;
    // Share of the server core that other processes took meanwhile: the noise of this figure.
    result.foreignShare =
      coreAtStart === undefined || coreAtEnd === undefined || cpuAtStart === undefined
        ? undefined
        : Math.max(0, (coreAtEnd - coreAtStart - (cpuAtEnd - cpuAtStart)) / result.durationSec);
    return result;
  }
}

/**
 * Waits, at most `maxWaitSec` seconds, until other processes leave the server core alone: until
 * they take under `share` of it over half a second. A pass that starts in a quiet moment is less
 * likely to be spoiled halfway; the wait is bounded, so a busy machine only delays the run.
 *
 * @returns the share other processes took in the last half second before the pass started.
 */
export async function waitForQuietCore({ maxWaitSec, share = 0.25 }) {
  const deadline = performance.now() + maxWaitSec * 1000;
  for (;;) {
    const before = coreBusySec(SERVER_CORE);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = coreBusySec(SERVER_CORE);
    if (before === undefined || after === undefined) return undefined;
    const busy = (after - before) / 0.5;
    if (busy < share || performance.now() >= deadline) return busy;
  }
}
