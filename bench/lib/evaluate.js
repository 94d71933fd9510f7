// Derived figures and the targets, each comparison between figures of the same pass.
//
// Every target is judged on requests per second, as the issue defines it. Each also gets the same
// comparison made with the server's CPU µs per request instead (throughput a whole core would
// give: 1e6 / CPU µs), which other processes sharing the core move far less: a second opinion
// printed next to the first, not a replacement.
import { FRAMEWORKS, MODES } from '../rows/verification.js';
import { addedUs, perPass } from './stats.js';

/** Requests per second a whole core would give at this figure's server CPU time per request. */
const cpuRate = (figure) =>
  figure.serverCpuUsPerRequest === undefined ? Number.NaN : 1e6 / figure.serverCpuUsPerRequest;

const show = (format) => (value) => (Number.isFinite(value) ? format(value) : '—');
const x = show((v) => `${v.toFixed(2)}×`);
const pc = show((v) => `${(v * 100).toFixed(0)} %`);
const us = show((v) => `${v.toFixed(0)} µs`);
const times = (ratio) => `${x(ratio.median)} (passes: ${ratio.values.map(x).join(', ')})`;
const percent = (ratio) => `${pc(ratio.median)} (passes: ${ratio.values.map(pc).join(', ')})`;
const micros = (figure) => `${us(figure.median)} (passes: ${figure.values.map(us).join(', ')})`;

/**
 * @param rows - `{ tokenEndpoint, verification, client }` as the rows return them.
 * @returns `{ tokenEndpoint, verification, client, targets }`: ratios per pass and their medians,
 *   and `targets: [{ name, goal, figure, met, cpuFigure, cpuMet }]`.
 */
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
    // rest (jose, client authentication, the store check, logging) costs.
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
  const t = tokenEndpoint;
  targets.push(
    {
      name: 'token endpoint RS256 vs oidc-provider',
      goal: '≥ 2×',
      figure: times(t.rs256VsOidc),
      met: t.rs256VsOidc.median >= 2,
      cpuFigure: times(t.cpu.rs256VsOidc),
      cpuMet: t.cpu.rs256VsOidc.median >= 2,
    },
    {
      name: 'token endpoint RS256 vs the single-core signing ceiling',
      goal: '≥ 80 %',
      figure: percent(t.rs256VsCeiling),
      met: t.rs256VsCeiling.median >= 0.8,
      cpuFigure: percent(t.cpu.rs256VsCeiling),
      cpuMet: t.cpu.rs256VsCeiling.median >= 0.8,
    },
    {
      name: "token endpoint EdDSA vs oidc-provider's RS256",
      goal: '≥ 5×',
      figure: times(t.eddsaVsOidc),
      met: t.eddsaVsOidc.median >= 5,
      cpuFigure: times(t.cpu.eddsaVsOidc),
      cpuMet: t.cpu.eddsaVsOidc.median >= 5,
    },
  );

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
    }
  }
  const best = (pick) =>
    Math.min(...FRAMEWORKS.map(({ key }) => pick(verification.distinct[key]).median));
  const bestPeer = best((d) => d.peerAddedUs);
  const bestPeerCpu = best((d) => d.peerCpuAddedUs);
  for (const { key, label } of FRAMEWORKS) {
    const d = verification.distinct[key];
    targets.push({
      name: `distinct tokens, ${label}: our added cost vs the best peer's`,
      goal: '≤ the best peer’s',
      figure: `${micros(d.oursAddedUs)}; best peer ${us(bestPeer)}`,
      met: d.oursAddedUs.median <= bestPeer,
      cpuFigure: `${micros(d.oursCpuAddedUs)}; best peer ${us(bestPeerCpu)}`,
      cpuMet: d.oursCpuAddedUs.median <= bestPeerCpu,
    });
  }
  for (const { key, label } of FRAMEWORKS) {
    const r = verification.repeated[key];
    targets.push({
      name: `one token repeated (cache on), ${label}: share of the unprotected route`,
      goal: '≥ 90 %',
      figure: percent(r.oursVsNone),
      met: r.oursVsNone.median >= 0.9,
      cpuFigure: percent(r.oursCpuVsNone),
      cpuMet: r.oursCpuVsNone.median >= 0.9,
    });
  }

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
    cpuFigure: '(a count)',
    cpuMet: counted,
  });
  return {
    tokenEndpoint,
    verification,
    client,
    targets,
    josePath: josePathCost(rows, bestPeerCpu),
  };
}

/**
 * What signing and verifying through jose costs beyond node:crypto's synchronous calls, measured in
 * the same pass (CPU µs per operation, jose's asynchronous WebCrypto path minus node:crypto's), and
 * what our figures would be without that difference: our server's CPU µs per request minus it. This
 * is an estimate of a path the project does not take (DEVELOPERS.md: signing and verification go
 * through jose), given so that each target's gap can be split between jose's path and the rest.
 *
 * @returns `{ rs256SignExtraUs, eddsaSignExtraUs, rs256VsOidc, rs256VsCeiling, eddsaVsOidc,
 *   rs256OtherBudgetUs, rs256OtherUs, verifyExtraUs, distinct: { <framework>: addedUs } }`, each
 *   `{ values, median }`; ratios by server CPU time.
 */
function josePathCost(rows, bestPeerCpu) {
  const token = rows.tokenEndpoint.passes;
  const cpu = (figure) => figure.serverCpuUsPerRequest;
  const rs256Extra = (p) => p.ceiling.joseRs256.cpuUs - p.ceiling.rs256.cpuUs;
  const eddsaExtra = (p) => p.ceiling.joseEd25519.cpuUs - p.ceiling.ed25519.cpuUs;
  const verify = rows.verification.passes;
  const verifyExtra = (p) => p.micro.joseJwtVerify.cpuUs - p.micro.cryptoVerify.cpuUs;
  const distinct = {};
  for (const { key } of FRAMEWORKS) {
    distinct[key] = perPass(
      verify,
      (p) => cpuAdded(p.distinct[key].ours, p.distinct[key].none) - verifyExtra(p),
    );
  }
  return {
    rs256SignExtraUs: perPass(token, rs256Extra),
    eddsaSignExtraUs: perPass(token, eddsaExtra),
    rs256VsOidc: perPass(token, (p) => cpu(p.oidcProvider) / (cpu(p.oursRs256) - rs256Extra(p))),
    rs256VsCeiling: perPass(
      token,
      (p) => p.ceiling.rs256.cpuUs / (cpu(p.oursRs256) - rs256Extra(p)),
    ),
    eddsaVsOidc: perPass(token, (p) => cpu(p.oidcProvider) / (cpu(p.oursEdDSA) - eddsaExtra(p))),
    // For 2× oidc-provider, a token may cost half of oidc-provider's CPU time; minus one
    // node:crypto signature, that is what everything else (HTTP included) may cost.
    rs256OtherBudgetUs: perPass(token, (p) => cpu(p.oidcProvider) / 2 - p.ceiling.rs256.cpuUs),
    // What everything but the signature costs our server, and a bare Fastify POST route alone.
    rs256OtherUs: perPass(token, (p) => cpu(p.oursRs256) - p.ceiling.joseRs256.cpuUs),
    bareFastifyUs: perPass(token, (p) => cpu(p.bareFastify)),
    verifyExtraUs: perPass(verify, verifyExtra),
    distinct,
    bestPeerCpu,
  };
}

/** Server CPU µs per request added over the unprotected route, when /proc gave both. */
function cpuAdded(protectedFigure, noneFigure) {
  const a = protectedFigure.serverCpuUsPerRequest;
  const b = noneFigure.serverCpuUsPerRequest;
  return a === undefined || b === undefined ? Number.NaN : a - b;
}
