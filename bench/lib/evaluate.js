// Derived figures and the targets, each comparison between figures of the same pass.
//
// Every target is judged, as the issue defines it, on the server's CPU µs per request (what a
// whole core would give), which other processes sharing the core move far less than requests/s.
// Each also gets the same comparison made with requests per second, printed beside it: a second
// opinion, not the judge.
import { FRAMEWORKS, MODES } from '../rows/verification.js';
import { addedUs, median, perPass } from './stats.js';

/** Requests per second a whole core would give at this figure's server CPU time per request. */
const cpuRate = (figure) =>
  figure.serverCpuUsPerRequest === undefined ? Number.NaN : 1e6 / figure.serverCpuUsPerRequest;
/** Server CPU µs per request, NaN when /proc could not give it. */
const cpuUs = (figure) => figure.serverCpuUsPerRequest ?? Number.NaN;
/**
 * Two loads of one server in the same pass as one figure: CPU µs per request over all their
 * requests, and their mean requests/s. `b` absent (runs saved before the second pair): `a`.
 */
const pooled = (a, b) => {
  if (b === undefined) return a;
  const requests = (a.ok ?? 0) + (b.ok ?? 0);
  const cpu = cpuUs(a) * (a.ok ?? 0) + cpuUs(b) * (b.ok ?? 0);
  return {
    rps: (a.rps + b.rps) / 2,
    ok: requests,
    serverCpuUsPerRequest: requests > 0 ? cpu / requests : Number.NaN,
  };
};
/** Wall-clock µs per request at the measured rate. */
const wallUs = (figure) => 1e6 / figure.rps;

const show = (format) => (value) => (Number.isFinite(value) ? format(value) : '—');
const x = show((v) => `${v.toFixed(2)}×`);
const pc = show((v) => `${(v * 100).toFixed(0)} %`);
const us = show((v) => `${v.toFixed(0)} µs`);
const bytes = show((v) => `${v.toFixed(0)} B`);
const times = (ratio) => `${x(ratio.median)} (passes: ${ratio.values.map(x).join(', ')})`;
const percent = (ratio) => `${pc(ratio.median)} (passes: ${ratio.values.map(pc).join(', ')})`;
const micros = (figure) => `${us(figure.median)} (passes: ${figure.values.map(us).join(', ')})`;

/** Token endpoint: CPU per token over (bare Fastify POST + one node:crypto signature). */
const TOKEN_GOALS = { rs256: 1.1, eddsa: 1.6 };
/** Distinct tokens: our added µs per request over the peer's, at most. */
const DISTINCT_GOAL = 0.6;
/** Express's added µs may exceed Fastify's by at most this much (µs). */
const EXPRESS_OVER_FASTIFY_US = 10;
/** Repeated token, cache on: share of the unprotected route, at least. */
const REPEATED_GOAL = 0.95;
/** Repeated token, cache on: requests a core serves with the revocation feed on over off, at least. */
const FEED_GOAL = 0.98;
/** Resident memory per cached token, bytes, under. */
const CACHE_BYTES_GOAL = 2048;

export function evaluate(rows) {
  const targets = [];
  const token = rows.tokenEndpoint.passes;
  const tokenEndpoint = {
    rs256VsOidc: perPass(token, (p) => p.oursRs256.rps / p.oidcProvider.rps),
    rs256VsCeiling: perPass(token, (p) => p.oursRs256.rps / p.ceiling.rs256.perSec),
    eddsaVsOidc: perPass(token, (p) => p.oursEdDSA.rps / p.oidcProvider.rps),
    eddsaVsCeiling: perPass(token, (p) => p.oursEdDSA.rps / p.ceiling.ed25519.perSec),
    rs256VsBare: perPass(token, (p) => p.oursRs256.rps / p.bareFastify.rps),
    cpu: {
      rs256VsOidc: perPass(token, (p) => cpuRate(p.oursRs256) / cpuRate(p.oidcProvider)),
      rs256VsCeiling: perPass(
        token,
        (p) => p.ceiling.rs256.cpuUs / p.oursRs256.serverCpuUsPerRequest,
      ),
      eddsaVsOidc: perPass(token, (p) => cpuRate(p.oursEdDSA) / cpuRate(p.oidcProvider)),
    },
    // Server CPU µs per token beyond the HTTP ceiling's and node:crypto's signature: what the
    // rest (client authentication, the store check, claims, logging, the response) costs.
    rs256CpuRest: perPass(
      token,
      (p) =>
        p.oursRs256.serverCpuUsPerRequest -
        p.bareFastify.serverCpuUsPerRequest -
        p.ceiling.rs256.cpuUs,
    ),
    eddsaCpuRest: perPass(
      token,
      (p) =>
        p.oursEdDSA.serverCpuUsPerRequest -
        p.bareFastify.serverCpuUsPerRequest -
        p.ceiling.ed25519.cpuUs,
    ),
  };
  // The token targets: CPU µs per token against a bare Fastify POST route plus one
  // node:crypto signature, all measured in the same pass.
  tokenEndpoint.rs256VsFloor = perPass(
    token,
    (p) => cpuUs(p.oursRs256) / (cpuUs(p.bareFastify) + p.ceiling.rs256.cpuUs),
  );
  tokenEndpoint.eddsaVsFloor = perPass(
    token,
    (p) => cpuUs(p.oursEdDSA) / (cpuUs(p.bareFastify) + p.ceiling.ed25519.cpuUs),
  );
  tokenEndpoint.wall = {
    rs256VsFloor: perPass(
      token,
      (p) => wallUs(p.oursRs256) / (wallUs(p.bareFastify) + 1e6 / p.ceiling.rs256.perSec),
    ),
    eddsaVsFloor: perPass(
      token,
      (p) => wallUs(p.oursEdDSA) / (wallUs(p.bareFastify) + 1e6 / p.ceiling.ed25519.perSec),
    ),
  };
  // Context, not a target: our server against the same floor measured inside a server (the bare
  // route signing one token per request), same pass. Runs saved before that row existed: NaN.
  const inServer = (p, key) => p[key] ?? { serverCpuUsPerRequest: Number.NaN };
  tokenEndpoint.rs256VsBareSign = perPass(
    token,
    (p) => cpuUs(p.oursRs256) / cpuUs(inServer(p, 'bareSignRs256')),
  );
  tokenEndpoint.eddsaVsBareSign = perPass(
    token,
    (p) => cpuUs(p.oursEdDSA) / cpuUs(inServer(p, 'bareSignEdDSA')),
  );
  tokenEndpoint.bareSignRs256VsFloor = perPass(
    token,
    (p) => cpuUs(inServer(p, 'bareSignRs256')) / (cpuUs(p.bareFastify) + p.ceiling.rs256.cpuUs),
  );
  tokenEndpoint.bareSignEdDSAVsFloor = perPass(
    token,
    (p) => cpuUs(inServer(p, 'bareSignEdDSA')) / (cpuUs(p.bareFastify) + p.ceiling.ed25519.cpuUs),
  );
  tokenEndpoint.rs256CpuBeyondBareSign = perPass(
    token,
    (p) => cpuUs(p.oursRs256) - cpuUs(inServer(p, 'bareSignRs256')),
  );
  tokenEndpoint.eddsaCpuBeyondBareSign = perPass(
    token,
    (p) => cpuUs(p.oursEdDSA) - cpuUs(inServer(p, 'bareSignEdDSA')),
  );
  const t = tokenEndpoint;
  for (const [key, label, ceiling] of [
    ['rs256', 'RS256', 'RS256'],
    ['eddsa', 'EdDSA', 'Ed25519'],
  ]) {
    const goal = TOKEN_GOALS[key];
    const cpu = t[`${key}VsFloor`];
    const wall = t.wall[`${key}VsFloor`];
    targets.push({
      name: `token endpoint ${label}: µs per token / (bare Fastify POST + one node:crypto ${ceiling} signature)`,
      goal: `≤ ${goal.toFixed(2)}×`,
      figure: times(cpu),
      met: cpu.median <= goal,
      altFigure: times(wall),
      altMet: wall.median <= goal,
    });
  }

  const verify = rows.verification.passes;
  const verification = {};
  for (const mode of MODES) {
    verification[mode.key] = {};
    for (const { key: framework } of FRAMEWORKS) {
      const of = (p) => p[mode.key][framework];
      verification[mode.key][framework] = {
        peerAddedUs: perPass(verify, (p) => addedUs(of(p).peer.rps, of(p).none.rps)),
        oursAddedUs: perPass(verify, (p) => addedUs(of(p).ours.rps, of(p).none.rps)),
        oursVsNone: perPass(verify, (p) => of(p).ours.rps / of(p).none.rps),
        peerVsNone: perPass(verify, (p) => of(p).peer.rps / of(p).none.rps),
        peerCpuAddedUs: perPass(verify, (p) => cpuAdded(of(p).peer, of(p).none)),
        oursCpuAddedUs: perPass(verify, (p) => cpuAdded(of(p).ours, of(p).none)),
        oursCpuVsNone: perPass(verify, (p) => cpuRate(of(p).ours) / cpuRate(of(p).none)),
      };
      if (mode.feed) {
        // The revocation feed on over off, same route, same pass: what the feed costs per request.
        // Runs saved before the feed row existed (--render) have no oursFeed: NaN, shown as "—".
        // Each is measured twice per pass (off, on, on, off) when the run has the second pair;
        // the two loads are pooled: requests over CPU time, mean requests/s.
        const feed = (p) => pooled(of(p).oursFeed ?? { rps: Number.NaN }, of(p).oursFeedB);
        const off = (p) => pooled(of(p).ours, of(p).oursB);
        Object.assign(verification[mode.key][framework], {
          feedAddedUs: perPass(verify, (p) => addedUs(feed(p).rps, off(p).rps)),
          feedVsOff: perPass(verify, (p) => feed(p).rps / off(p).rps),
          feedCpuAddedUs: perPass(verify, (p) => cpuAdded(feed(p), off(p))),
          feedCpuVsOff: perPass(verify, (p) => cpuRate(feed(p)) / cpuRate(off(p))),
          feedVsNone: perPass(verify, (p) => feed(p).rps / of(p).none.rps),
          feedOverNoneUs: perPass(verify, (p) => addedUs(feed(p).rps, of(p).none.rps)),
        });
      }
    }
  }
  const distinctRatio = {};
  for (const { key } of FRAMEWORKS) {
    const of = (p) => p.distinct[key];
    distinctRatio[key] = {
      cpu: perPass(
        verify,
        (p) => cpuAdded(of(p).ours, of(p).none) / cpuAdded(of(p).peer, of(p).none),
      ),
      wall: perPass(
        verify,
        (p) => addedUs(of(p).ours.rps, of(p).none.rps) / addedUs(of(p).peer.rps, of(p).none.rps),
      ),
    };
  }
  for (const { key, label, peer } of FRAMEWORKS) {
    const d = verification.distinct[key];
    const ratio = distinctRatio[key];
    targets.push({
      name: `distinct tokens (cache off), ${label}: our added µs / ${peer}'s`,
      goal: `≤ ${DISTINCT_GOAL}×`,
      figure: `${times(ratio.cpu)}; ours ${us(d.oursCpuAddedUs.median)}, peer ${us(d.peerCpuAddedUs.median)}`,
      met: ratio.cpu.median <= DISTINCT_GOAL,
      altFigure: `${times(ratio.wall)}; ours ${us(d.oursAddedUs.median)}, peer ${us(d.peerAddedUs.median)}`,
      altMet: ratio.wall.median <= DISTINCT_GOAL,
    });
  }
  const expressOverFastify = {
    cpu: perPass(
      verify,
      (p) =>
        cpuAdded(p.distinct.express.ours, p.distinct.express.none) -
        cpuAdded(p.distinct.fastify.ours, p.distinct.fastify.none),
    ),
    wall: perPass(
      verify,
      (p) =>
        addedUs(p.distinct.express.ours.rps, p.distinct.express.none.rps) -
        addedUs(p.distinct.fastify.ours.rps, p.distinct.fastify.none.rps),
    ),
  };
  targets.push({
    name: 'distinct tokens (cache off): our added µs on Express 5 minus on Fastify 5',
    goal: `≤ ${EXPRESS_OVER_FASTIFY_US} µs`,
    figure: micros(expressOverFastify.cpu),
    met: expressOverFastify.cpu.median <= EXPRESS_OVER_FASTIFY_US,
    altFigure: micros(expressOverFastify.wall),
    altMet: expressOverFastify.wall.median <= EXPRESS_OVER_FASTIFY_US,
  });
  for (const { key, label } of FRAMEWORKS) {
    const r = verification.repeated[key];
    targets.push({
      name: `one token repeated (cache on), ${label}: share of the unprotected route`,
      goal: `≥ ${(REPEATED_GOAL * 100).toFixed(0)} %`,
      figure: percent(r.oursCpuVsNone),
      met: r.oursCpuVsNone.median >= REPEATED_GOAL,
      altFigure: percent(r.oursVsNone),
      altMet: r.oursVsNone.median >= REPEATED_GOAL,
    });
  }

  for (const { key, label } of FRAMEWORKS) {
    const r = verification.repeated[key];
    targets.push({
      name: `one token repeated (cache on), ${label}: revocation feed on / off (requests per core)`,
      goal: `≥ ${(FEED_GOAL * 100).toFixed(0)} %`,
      figure: `${percent(r.feedCpuVsOff)}; feed adds ${us(r.feedCpuAddedUs.median)}`,
      met: r.feedCpuVsOff.median >= FEED_GOAL,
      altFigure: `${percent(r.feedVsOff)}; feed adds ${us(r.feedAddedUs.median)}`,
      altMet: r.feedVsOff.median >= FEED_GOAL,
    });
  }

  const memory = memoryFigures(rows);
  targets.push({
    name: `verified-token cache at its default size (${memory.cache.entries} tokens): resident memory per cached token`,
    goal: `< ${CACHE_BYTES_GOAL / 1024} KB`,
    figure: `${bytes(memory.cache.rssBytesPerToken)} (${memory.cache.rssMB.toFixed(1)} MB with the cache full, ${memory.cache.rssOffMB.toFixed(1)} MB without)`,
    met: memory.cache.rssBytesPerToken < CACHE_BYTES_GOAL,
    altFigure: `V8 heap: ${bytes(memory.cache.heapBytesPerToken)}`,
    altMet: memory.cache.heapBytesPerToken < CACHE_BYTES_GOAL,
  });

  const { client: c } = rows;
  const seq = (p, name) => p.sequential[name];
  const con = (p, name) => p.concurrent[name];
  const client = {
    sequentialAddedUs: perPass(
      c.latency.passes,
      (p) => seq(p, 'client').meanUs - seq(p, 'plain').meanUs,
    ),
    sequentialP50AddedUs: perPass(
      c.latency.passes,
      (p) => seq(p, 'client').p50Us - seq(p, 'plain').p50Us,
    ),
    concurrentAddedUs: perPass(c.latency.passes, (p) =>
      addedUs(con(p, 'client').callsPerSec, con(p, 'plain').callsPerSec),
    ),
    // Over fetch carrying the same Authorization header: what the client itself adds.
    sequentialOverHeaderUs: perPass(
      c.latency.passes,
      (p) => seq(p, 'client').meanUs - seq(p, 'header').meanUs,
    ),
    sequentialP50OverHeaderUs: perPass(
      c.latency.passes,
      (p) => seq(p, 'client').p50Us - seq(p, 'header').p50Us,
    ),
    concurrentOverHeaderUs: perPass(c.latency.passes, (p) =>
      addedUs(con(p, 'client').callsPerSec, con(p, 'header').callsPerSec),
    ),
  };
  const counted =
    c.burstTokenRequests === 1 && c.burst.failed === 0 && c.burst.elapsedSec < c.tokenTtlSec;
  targets.push({
    name: `client: token requests during ${c.burst.calls} calls from ${c.concurrency} concurrent callers`,
    goal: 'exactly 1',
    figure: String(c.burstTokenRequests),
    met: counted,
    altFigure: '(a count)',
    altMet: counted,
  });
  return {
    tokenEndpoint,
    verification,
    client,
    targets,
    memory,
    josePath: josePathCost(rows),
  };
}

/**
 * Memory: the verified-token cache (bench/micro/cache-memory.js: the same fill with the cache on
 * and off, separate processes, medians over runs) and every server's resident set after each load.
 *
 * @returns `{ cache: { entries, rssBytesPerToken, heapBytesPerToken, rssMB, rssOffMB },
 *   servers: [{ label, rssMB, peakRssMB }] }`: the servers' largest figures over all passes.
 */
function memoryFigures(rows) {
  // Runs saved before the memory figures existed (--render) have none: shown as "—".
  const { on, off } = rows.verification.cacheMemory ?? { on: [], off: [] };
  const med = (list, pick) => median(list.map(pick));
  const entries = on[0]?.entries ?? Number.NaN;
  // Each process's growth from before to after the fill (after a full GC each time); the
  // cache's share is the growth with the cache on minus the growth with it off.
  const cache = {
    entries,
    tokenLength: on[0]?.tokenLength,
    rssMB: med(on, (r) => r.rssMB),
    rssOffMB: med(off, (r) => r.rssMB),
    rssBytesPerToken: med(on, (r) => r.rssBytesPerToken) - med(off, (r) => r.rssBytesPerToken),
    heapBytesPerToken: med(on, (r) => r.heapBytesPerToken) - med(off, (r) => r.heapBytesPerToken),
  };
  const servers = [];
  const largest = (figures, pick) => Math.max(...figures.map(pick).filter(Number.isFinite));
  const add = (label, figures) =>
    servers.push({
      label,
      rssMB: largest(figures, (f) => f.serverRssMB),
      peakRssMB: largest(figures, (f) => f.serverPeakRssMB),
    });
  for (const [key, label] of [
    ['oursRs256', 'm2m-auth serve, RS256 (token endpoint load)'],
    ['oursEdDSA', 'm2m-auth serve, EdDSA (token endpoint load)'],
    ['oidcProvider', 'oidc-provider 9, RS256 (token endpoint load)'],
    ['bareFastify', 'bare Fastify POST route'],
    ['bareSignRs256', 'bare Fastify POST route + one RS256 signature'],
    ['bareSignEdDSA', 'bare Fastify POST route + one Ed25519 signature'],
  ]) {
    if (rows.tokenEndpoint.passes.some((p) => p[key] === undefined)) continue;
    add(
      label,
      rows.tokenEndpoint.passes.map((p) => p[key]),
    );
  }
  for (const mode of MODES) {
    for (const { key, label, peer } of FRAMEWORKS) {
      for (const [role, name] of [
        ['none', 'unprotected'],
        ['peer', peer],
        ['ours', `@m2m-auth/verifier${mode.key === 'distinct' ? ' (cache off)' : ''}`],
        ...(mode.feed ? [['oursFeed', '@m2m-auth/verifier, revocation feed on']] : []),
      ]) {
        if (rows.verification.passes.some((p) => p[mode.key][key][role] === undefined)) continue;
        add(
          `${label} ${name}, ${mode.label}`,
          rows.verification.passes.map((p) => p[mode.key][key][role]),
        );
      }
    }
  }
  return { cache, servers };
}

/**
 * What the node:crypto path saves over jose's WebCrypto path, measured in the same pass (CPU µs per
 * operation: jose's asynchronous `SignJWT`/`jwtVerify` minus node:crypto's synchronous call), and
 * what our token path costs besides HTTP and the signature.
 *
 * @returns `{ rs256SignExtraUs, eddsaSignExtraUs, verifyExtraUs, rs256RestUs, eddsaRestUs,
 *   bareFastifyUs, oursVerifyOverCryptoUs }`, each `{ values, median }`.
 */
function josePathCost(rows) {
  const token = rows.tokenEndpoint.passes;
  const verify = rows.verification.passes;
  return {
    rs256SignExtraUs: perPass(token, (p) => p.ceiling.joseRs256.cpuUs - p.ceiling.rs256.cpuUs),
    eddsaSignExtraUs: perPass(token, (p) => p.ceiling.joseEd25519.cpuUs - p.ceiling.ed25519.cpuUs),
    verifyExtraUs: perPass(verify, (p) => p.micro.joseJwtVerify.cpuUs - p.micro.cryptoVerify.cpuUs),
    rs256RestUs: perPass(
      token,
      (p) => cpuUs(p.oursRs256) - cpuUs(p.bareFastify) - p.ceiling.rs256.cpuUs,
    ),
    eddsaRestUs: perPass(
      token,
      (p) => cpuUs(p.oursEdDSA) - cpuUs(p.bareFastify) - p.ceiling.ed25519.cpuUs,
    ),
    bareFastifyUs: perPass(token, (p) => cpuUs(p.bareFastify)),
    oursVerifyOverCryptoUs: perPass(
      verify,
      (p) => p.micro.oursVerifyDistinct.cpuUs - p.micro.cryptoVerify.cpuUs,
    ),
  };
}

/** Server CPU µs per request added over the unprotected route, when /proc gave both. */
function cpuAdded(protectedFigure, noneFigure) {
  const a = protectedFigure.serverCpuUsPerRequest;
  const b = noneFigure.serverCpuUsPerRequest;
  return a === undefined || b === undefined ? Number.NaN : a - b;
}
