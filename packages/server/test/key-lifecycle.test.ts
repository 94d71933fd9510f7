import {
  DEFAULT_PROPAGATION_SEC,
  dueTransitions,
  isGuardedRotationDue,
  isPublished,
  isTransitionDue,
  type KeyTimes,
  nextPublishedChangeAt,
  nextTransitionAt,
  oldestNext,
  pendingRotationError,
  propagationPolicy,
  RETIRED_KEY_MARGIN_SEC,
  retiredKeyRemoveAt,
  scheduledRotationDue,
} from '@m2m-auth/server/keys';
import { describe, expect, it } from 'vitest';

const T = 1_000_000;

function key(kid: string, fields: Partial<KeyTimes> & Pick<KeyTimes, 'state'>): KeyTimes {
  return {
    kid,
    alg: 'RS256',
    createdAt: T - 10_000,
    activatesAt: null,
    activatedAt: null,
    removeAt: null,
    ...fields,
  };
}

const active = key('a', { state: 'active', activatedAt: T - 5_000 });
const nextDated = key('n', { state: 'next', activatesAt: T + 600, createdAt: T - 100 });
const nextUndated = key('u', { state: 'next', createdAt: T - 50 });
const retired = key('r', { state: 'retired', removeAt: T + 300 });
const revoked = key('x', { state: 'revoked' });

describe('key lifecycle rules', () => {
  it.each([
    ['nothing is due with only an active key', [active], T, [], []],
    ['a next key is not due before its activation time', [active, nextDated], T + 599, [], []],
    ['a next key is due at its activation time', [active, nextDated], T + 600, [], ['n']],
    [
      'an undated next key is never due while a key is active',
      [active, nextUndated],
      T + 1e9,
      [],
      [],
    ],
    [
      'without an active key every next key is due, undated first',
      [nextDated, nextUndated],
      T,
      [],
      ['u', 'n'],
    ],
    ['a retired key is removed at its removeAt, not before', [active, retired], T + 299, [], []],
    ['a retired key past its removeAt is removed', [active, retired], T + 300, ['r'], []],
    ['a revoked key is neither activated nor removed', [active, revoked], T + 1e9, [], []],
  ] as const)('%s', (_name, keys, now, remove, activate) => {
    const due = dueTransitions(keys, now);
    expect(due.remove).toEqual(remove);
    expect(due.activate.map((k) => k.kid)).toEqual(activate);
    expect(isTransitionDue(keys, now)).toBe(remove.length + activate.length > 0);
  });

  it('does not offer again a key this process refused to activate', () => {
    expect(dueTransitions([active, nextDated], T + 600, new Set(['n'])).activate).toEqual([]);
    expect(isTransitionDue([active, nextDated], T + 600, new Set(['n']))).toBe(false);
  });

  it.each([
    ['next', null, T, true],
    ['active', null, T, true],
    ['retired', T + 1, T, true],
    ['retired', T, T, false],
    ['retired', null, T, true],
    ['revoked', null, T, false],
  ] as const)('publishes a %s key with removeAt %s at %s: %s', (state, removeAt, now, expected) => {
    expect(isPublished(key('k', { state, removeAt }), now)).toBe(expected);
  });

  it.each([
    ['no guard: always', [active, nextDated], undefined, T, true],
    ['a next key waits: never', [active, nextUndated], 1, T + 1e9, false],
    ['no active key: always', [retired], 3_600, T, true],
    ['the active key is younger than the guard', [active], 5_001, T, false],
    ['the active key reached the guard', [active], 5_000, T, true],
  ] as const)('guarded rotation — %s', (_name, keys, guard, now, expected) => {
    expect(isGuardedRotationDue(keys, guard, now)).toBe(expected);
  });

  it.each([
    ['rotates when the active key is old enough', [active], 5_000, 'rotate'],
    ['waits while the active key is younger', [active], 5_001, undefined],
    [
      'schedules an undated next key when the active one is due',
      [active, nextUndated],
      5_000,
      'schedule',
    ],
    ['leaves a dated next key alone', [active, nextDated], 1, undefined],
    ['leaves an undated next key alone without an active key', [nextUndated], 1, undefined],
    ['rotates an empty set', [], 1, 'rotate'],
  ] as const)('schedule — %s', (_name, keys, every, expected) => {
    expect(scheduledRotationDue(keys, every, T)).toBe(expected);
  });

  it.each([
    ['the earliest of an activation and a removal', [active, nextDated, retired], {}, T + 300],
    ['the retired key removal first', [active, retired], { rotateEverySec: 10_000 }, T + 300],
    ['the active key reaching its age', [active], { rotateEverySec: 10_000 }, T + 5_000],
    ['nothing without a schedule', [active], {}, undefined],
    ['no rotation while one is under way', [active, nextDated], { rotateEverySec: 1 }, T + 600],
    ['not a refused activation', [active, nextDated], { refused: new Set(['n']) }, undefined],
  ] as const)('next transition — %s', (_name, keys, options, expected) => {
    expect(nextTransitionAt(keys, options)).toBe(expected);
  });

  it('holds a view of the keys until the next activation or removal after now', () => {
    expect(nextPublishedChangeAt([active, nextDated, retired], T)).toBe(T + 300);
    expect(nextPublishedChangeAt([active, nextDated, retired], T + 300)).toBe(T + 600);
    expect(nextPublishedChangeAt([active], T)).toBe(Number.POSITIVE_INFINITY);
  });

  it('picks the oldest next key and refuses a second rotation while one is scheduled', () => {
    expect(oldestNext([active, nextUndated, nextDated])?.kid).toBe('n');
    expect(pendingRotationError(nextDated, {}, false)?.code).toBe('ERR_ROTATION_PENDING');
    expect(pendingRotationError(nextDated, {}, true)).toBeUndefined();
    expect(pendingRotationError(nextUndated, {}, false)).toBeUndefined();
    expect(pendingRotationError(nextUndated, { alg: 'ES256' }, true)?.message).toMatch(
      /revoke it first to rotate to ES256/,
    );
  });

  it('keeps a retired key published until the longest token it signed has expired, plus a margin', () => {
    expect(retiredKeyRemoveAt(T, 0)).toBe(T + 900 + RETIRED_KEY_MARGIN_SEC);
    expect(retiredKeyRemoveAt(T, 3_600)).toBe(T + 3_600 + RETIRED_KEY_MARGIN_SEC);
  });

  it.each([
    ['default: twice the JWKS max-age, at least the default', {}, 300, DEFAULT_PROPAGATION_SEC, 0],
    ['default with a long max-age', {}, 3_600, 7_200, 0],
    ['an explicit delay', { propagationSec: 900 }, 300, 900, 0],
    [
      'a delay shorter than the max-age warns',
      { rotateEverySec: 86_400, propagationSec: 10 },
      300,
      10,
      1,
    ],
    ['rotating faster than retired keys leave warns', { rotateEverySec: 60 }, 300, 600, 1],
    ['no warnings without a schedule', { propagationSec: 10 }, 300, 10, 0],
  ] as const)(
    'propagation policy — %s',
    (_name, input, jwksMaxAgeSec, propagationSec, warnings) => {
      const policy = propagationPolicy({ ...input, jwksMaxAgeSec });
      expect(policy.propagationSec).toBe(propagationSec);
      expect(policy.warnings).toHaveLength(warnings);
    },
  );

  it('names the flags and the expected JWKS size in its warnings', () => {
    expect(propagationPolicy({ rotateEverySec: 60, jwksMaxAgeSec: 300 }).warnings).toEqual([
      '--rotate-every 60 s is shorter than the 1020 s or more a retired key stays published: the JWKS will hold about 19 keys (@m2m-auth/verifier reads at most 100); outside tests, rotate every few days or weeks',
    ]);
    expect(
      propagationPolicy({ rotateEverySec: 86_400, propagationSec: 10, jwksMaxAgeSec: 300 })
        .warnings,
    ).toEqual([
      '--propagation 10 is shorter than --jwks-max-age 300: verifiers may see tokens signed by a key they have not fetched yet',
    ]);
  });
});
