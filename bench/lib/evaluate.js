// Derived figures and the issue's targets, each comparison between figures of the same pass.
import { FRAMEWORKS, MODES } from '../rows/verification.js';
import { addedUs, perPass } from './stats.js';

/**
 * @param rows - `{ tokenEndpoint, verification, client }` as the rows return them.
 * @returns `{ tokenEndpoint, verification, client, targets }`: ratios per pass and their medians,
 *   and `targets: [{ name, goal, figure, met }]`.
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
  const x = (ratio) =>
    `${ratio.median.toFixed(2)}× (passes: ${ratio.values.map((v) => v.toFixed(2)).join(', ')})`;
  const pct = (ratio) =>
    `${(ratio.median * 100).toFixed(0)} % (passes: ${ratio.values.map((v) => `${(v * 100).toFixed(0)} %`).join(', ')})`;
  targets.push(
    {
      name: 'token endpoint RS256 vs oidc-provider',
      goal: '≥ 2×',
      figure: x(tokenEndpoint.rs256VsOidc),
      met: tokenEndpoint.rs256VsOidc.median >= 2,
    },
    {
      name: 'token endpoint RS256 vs the single-core signing ceiling',
      goal: '≥ 80 %',
      figure: pct(tokenEndpoint.rs256VsCeiling),
      met: tokenEndpoint.rs256VsCeiling.median >= 0.8,
    },
    {
      name: "token endpoint EdDSA vs oidc-provider's RS256",
      goal: '≥ 5×',
      figure: x(tokenEndpoint.eddsaVsOidc),
      met: tokenEndpoint.eddsaVsOidc.median >= 5,
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
      };
    }
  }
  const us = (figure) => `${figure.median.toFixed(0)} µs`;
  const bestPeer = Math.min(
    ...FRAMEWORKS.map(({ key }) => verification.distinct[key].peerAddedUs.median),
  );
  for (const { key, label } of FRAMEWORKS) {
    const d = verification.distinct[key];
    targets.push({
      name: `distinct tokens, ${label}: our added cost vs the best peer's`,
      goal: `≤ ${bestPeer.toFixed(0)} µs (best peer)`,
      figure: `${us(d.oursAddedUs)} (its own peer: ${us(d.peerAddedUs)})`,
      met: d.oursAddedUs.median <= bestPeer,
    });
  }
  for (const { key, label } of FRAMEWORKS) {
    const r = verification.repeated[key];
    targets.push({
      name: `one token repeated (cache on), ${label}: share of the unprotected route`,
      goal: '≥ 90 %',
      figure: pct(r.oursVsNone),
      met: r.oursVsNone.median >= 0.9,
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
  };
  targets.push({
    name: `client: token requests during ${c.burst.calls} calls from concurrent callers`,
    goal: 'exactly 1',
    figure: String(c.burstTokenRequests),
    met: c.burstTokenRequests === 1 && c.burst.failed === 0 && c.burst.elapsedSec < c.tokenTtlSec,
  });
  return { tokenEndpoint, verification, client, targets };
}

/** Server CPU µs per request added over the unprotected route, when /proc gave both. */
function cpuAdded(protectedFigure, noneFigure) {
  const a = protectedFigure.serverCpuUsPerRequest;
  const b = noneFigure.serverCpuUsPerRequest;
  return a === undefined || b === undefined ? Number.NaN : a - b;
}
