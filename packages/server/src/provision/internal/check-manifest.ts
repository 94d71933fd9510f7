/**
 * The checks zod cannot express: cross-references between services, duplicates inside lists, and
 * names that would clash as file names. Each problem carries the path it is about.
 */
import { scopesTooLarge } from '../../clients/validate-client-fields.js';
import type { ManifestInput } from '../manifest-schema.js';
import { normalizeUrl } from './normalize-url.js';

/** A problem found by {@link checkManifest}, before it is given a line number. */
export interface PathProblem {
  path: (string | number)[];
  /** Point at the key (a name) rather than at its value. */
  atKey: boolean;
  message: string;
}

function duplicatesIn(
  list: readonly string[],
  path: (string | number)[],
  what: string,
): PathProblem[] {
  const seen = new Set<string>();
  const problems: PathProblem[] = [];
  list.forEach((item, i) => {
    if (seen.has(item)) {
      problems.push({ path: [...path, i], atKey: false, message: `duplicate ${what} "${item}"` });
    }
    seen.add(item);
  });
  return problems;
}

/** Returns every semantic problem of a shape-valid manifest (empty when it can be applied). */
export function checkManifest(input: ManifestInput): PathProblem[] {
  const problems: PathProblem[] = [];
  const services = input.services;
  const names = Object.keys(services);

  for (const key of ['auth_url', 'jwks_url', 'issuer'] as const) {
    const value = input[key];
    if (value === undefined) continue;
    const result = normalizeUrl(value);
    if ('reason' in result) problems.push({ path: [key], atKey: false, message: result.reason });
  }

  // Names become .env file names: refuse two that differ only in letter case.
  const byLowerCase = new Map<string, string>();
  for (const name of names) {
    const other = byLowerCase.get(name.toLowerCase());
    if (other !== undefined) {
      problems.push({
        path: ['services', name],
        atKey: true,
        message: `duplicate service name: "${name}" differs from "${other}" only in letter case`,
      });
    }
    byLowerCase.set(name.toLowerCase(), name);
  }

  if (names.length === 0) {
    problems.push({ path: ['services'], atKey: true, message: 'lists no service' });
  }

  for (const [name, service] of Object.entries(services)) {
    const declared = service.scopes ?? [];
    const calls = Object.entries(service.calls ?? {});
    if (declared.length === 0 && calls.length === 0) {
      problems.push({
        path: ['services', name],
        atKey: true,
        message: 'declares no scopes and calls no service, so there is nothing to provision for it',
      });
    }
    problems.push(...duplicatesIn(declared, ['services', name, 'scopes'], 'scope'));
    // The service's client gets the union of the scopes of its calls: bounded like any client's.
    const granted = [...new Set(calls.flatMap(([, scopes]) => scopes))];
    const tooLarge = scopesTooLarge(granted);
    if (tooLarge !== undefined) {
      problems.push({ path: ['services', name, 'calls'], atKey: true, message: tooLarge });
    }

    for (const [target, scopes] of calls) {
      const callPath = ['services', name, 'calls', target];
      const receiver = services[target];
      if (target === name) {
        // The authorization server refuses a token whose audience is the client itself.
        problems.push({ path: callPath, atKey: true, message: 'a service cannot call itself' });
        continue;
      }
      if (receiver === undefined) {
        problems.push({
          path: callPath,
          atKey: true,
          message: `unknown service "${target}" (not listed under services)`,
        });
        continue;
      }
      problems.push(...duplicatesIn(scopes, callPath, 'scope'));
      const known = new Set(receiver.scopes ?? []);
      scopes.forEach((scope, i) => {
        if (!known.has(scope)) {
          const hint =
            known.size === 0
              ? `${target} declares no scopes`
              : `${target} declares ${[...known].join(', ')}`;
          problems.push({
            path: [...callPath, i],
            atKey: false,
            message: `scope "${scope}" is not declared by ${target} (${hint})`,
          });
        }
      });
    }
  }

  const keep = input.keep ?? [];
  problems.push(...duplicatesIn(keep, ['keep'], 'client name'));
  keep.forEach((name, i) => {
    if (Object.hasOwn(services, name)) {
      problems.push({
        path: ['keep', i],
        atKey: false,
        message: `"${name}" is a service of this manifest; keep lists only clients the manifest does not describe`,
      });
    }
  });
  return problems;
}
