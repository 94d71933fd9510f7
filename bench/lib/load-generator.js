// The load generator: a long-lived process on the load core that runs autocannon loads on request
// (IPC), so that each measurement costs no process start.
//
// Request `{ type: 'load', spec }`, spec: { url, method?, headers?, body?, authorizations?,
// connections, durationSec, warmupSec? }. With `authorizations`, requests cycle through them (one
// prebuilt request per value: the generator does no work per request). With `warmupSec`, a first
// unrecorded load of that length lets the server's JIT settle; `{ type: 'started' }` is sent when
// the recorded load begins. Reply: the figures of the recorded load.
import autocannon from 'autocannon';
import { reportReady } from './child.js';

function load(spec, durationSec) {
  const base = { method: spec.method ?? 'GET', headers: spec.headers ?? {} };
  if (spec.body !== undefined) base.body = spec.body;
  const requests = spec.authorizations?.map((authorization) => ({
    ...base,
    headers: { ...base.headers, authorization },
  }));
  return autocannon({
    url: spec.url,
    ...base,
    ...(requests === undefined ? {} : { requests }),
    connections: spec.connections,
    duration: durationSec,
    pipelining: 1,
    // A request that takes longer than this counts as an error: no run waits forever.
    timeout: 10,
  });
}

async function measure({ spec, id }) {
  const warmup = spec.warmupSec > 0 ? await load(spec, spec.warmupSec) : undefined;
  process.send?.({ type: 'started', id });
  const cpuBefore = process.cpuUsage();
  const result = await load(spec, spec.durationSec);
  const cpu = process.cpuUsage(cpuBefore);
  const ok = result['2xx'];
  return {
    rps: ok / result.duration,
    ok,
    warmupOk: warmup?.['2xx'] ?? 0,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSec: result.duration,
    // Share of one core the generator used: near 1, it (not the server) may be the bottleneck.
    generatorCpu: (cpu.user + cpu.system) / 1e6 / result.duration,
    latencyMs: {
      mean: result.latency.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
    },
  };
}

reportReady({}, { handlers: { load: measure } });
