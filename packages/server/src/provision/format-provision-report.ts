import { basename } from 'node:path';
import type { ClientFieldChange } from './compute-provision-plan.js';
import type { ProvisionReport } from './provision-services.js';

function describeChange(change: ClientFieldChange): string {
  if (change.field === 'tokenTtlSec') return `token_ttl_sec ${change.from} -> ${change.to}`;
  const parts = [...change.added.map((v) => `+${v}`), ...change.removed.map((v) => `-${v}`)];
  return `${change.field} ${parts.join(' ')}`;
}

const pad = (text: string, width: number): string => text.padEnd(width);

/**
 * Renders a provisioning report as readable text for the terminal: the signing key, one line per
 * client and per file, and a summary. Dry runs say "would …". The warnings are left to the caller
 * (for stderr). Never prints a secret: the report holds none.
 *
 * @example
 * ```ts
 * process.stdout.write(formatProvisionReport(await provisionServices(store, manifest, { envDir: 'env' })));
 * ```
 */
export function formatProvisionReport(report: ProvisionReport): string {
  const would = (verb: string, past: string): string => (report.dryRun ? `would ${verb}` : past);
  const lines: string[] = [
    report.dryRun
      ? `Plan for ${report.manifest} (dry run: nothing was changed)`
      : `Provisioned ${report.manifest}`,
  ];

  const key = report.signingKey;
  lines.push(
    key.action === 'generate'
      ? `  signing key  ${would('generate', 'generated')} ${key.alg}${key.kid ? ` (kid ${key.kid})` : ''}: there was no active key`
      : `  signing key  active ${key.alg} key, kid ${key.kid}`,
  );

  const width = Math.max(
    12,
    ...report.clients.map((c) => c.name.length),
    ...report.unlisted.map((c) => c.name.length),
  );
  lines.push('  clients');
  for (const c of report.clients) {
    let text: string;
    if (c.action === 'create' && c.replaced !== undefined) {
      const kept = c.replaced.renamedTo ? `, kept as ${c.replaced.renamedTo}` : '';
      text = `+ ${pad(c.name, width)} ${would('create', 'created')} in place of revoked client ${c.replaced.clientId}${kept} (its tokens stay refused): audiences ${c.audiences.join(' ')}; scopes ${c.scopes.join(' ')}`;
    } else if (c.action === 'create') {
      text = `+ ${pad(c.name, width)} ${would('create', 'created')}: audiences ${c.audiences.join(' ')}; scopes ${c.scopes.join(' ')}`;
    } else if (c.action === 'update') {
      text = `~ ${pad(c.name, width)} ${would('update', 'updated')}: ${c.changes.map(describeChange).join('; ')}`;
    } else {
      text = `= ${pad(c.name, width)} unchanged`;
    }
    if (c.secret === 'rotated') text += `; secret ${would('rotate', 'rotated')}`;
    if (c.secret === 'missing') text += '; secret unknown (see warnings)';
    lines.push(`    ${text}`);
  }
  for (const c of report.unlisted) {
    const text =
      c.action === 'revoke'
        ? `- ${pad(c.name, width)} ${would('revoke', 'revoked')} (not in the manifest)`
        : c.action === 'keep'
          ? `  ${pad(c.name, width)} kept (listed under keep)`
          : `? ${pad(c.name, width)} not in the manifest, left alone`;
    lines.push(`    ${text}`);
  }

  lines.push(`  files in ${report.envDir} (mode 0600)`);
  const fileWidth = Math.max(0, ...report.files.map((f) => basename(f.path).length));
  for (const f of report.files) {
    const name = pad(basename(f.path), fileWidth);
    const text =
      f.action === 'create'
        ? `+ ${name} ${would('write', 'written')}`
        : f.action === 'update'
          ? `~ ${name} ${would('rewrite', 'rewritten')}`
          : f.action === 'unchanged'
            ? `= ${name} unchanged`
            : `! ${name} ${would('skip', 'skipped')}: ${f.reason ?? ''}`;
    lines.push(`    ${text}`);
  }

  // Summary counts: "3 created" after a run, "3 to create" in a dry run.
  const tally = (n: number, verb: string, past: string): string =>
    `${n} ${report.dryRun ? `to ${verb}` : past}`;
  const clients = report.clients;
  const summary = [
    tally(clients.filter((c) => c.action === 'create').length, 'create', 'created'),
    tally(clients.filter((c) => c.action === 'update').length, 'update', 'updated'),
    `${clients.filter((c) => c.action === 'unchanged').length} unchanged`,
    tally(
      clients.filter((c) => c.action !== 'create' && c.secret === 'rotated').length,
      'get a new secret',
      'given a new secret',
    ),
    tally(report.unlisted.filter((c) => c.action === 'revoke').length, 'revoke', 'revoked'),
  ].filter((part) => !part.startsWith('0 '));
  const written = report.files.filter((f) => f.action === 'create' || f.action === 'update').length;
  const changes =
    report.storeChanges === 0
      ? 'the store already matches'
      : `${report.storeChanges} store change${report.storeChanges === 1 ? '' : 's'}`;
  lines.push(
    `Summary: ${changes}; clients: ${summary.join(', ') || 'none'}; files: ${tally(written, 'write', 'written')}.`,
  );
  return `${lines.join('\n')}\n`;
}
