import { describe, expect, it } from 'vitest';

describe('workspace', () => {
  it('runs the test suite on Node 20 or later', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(20);
  });
});
