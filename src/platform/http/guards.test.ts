import * as crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { secretsEqual } from './guards.ts';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, createHash: vi.fn(actual.createHash), timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

describe('secretsEqual', () => {
  beforeEach(() => vi.clearAllMocks());

  it('is true for the same secret and false for any other', () => {
    expect(secretsEqual('test-admin-token', 'test-admin-token')).toBe(true);
    expect(secretsEqual('test-admin-tokem', 'test-admin-token')).toBe(false);
    expect(secretsEqual('TEST-ADMIN-TOKEN', 'test-admin-token')).toBe(false);
  });

  it('is false, without throwing, for secrets of other lengths (shorter, longer, empty)', () => {
    expect(secretsEqual('test-admin-toke', 'test-admin-token')).toBe(false);
    expect(secretsEqual('test-admin-token-and-more', 'test-admin-token')).toBe(false);
    expect(secretsEqual('', 'test-admin-token')).toBe(false);
    expect(secretsEqual('x'.repeat(100_000), 'test-admin-token')).toBe(false);
  });

  it('hashes both sides with SHA-256 and compares the digests with timingSafeEqual, whatever the lengths', () => {
    for (const presented of ['test-admin-token', 'short', 'x'.repeat(1000)]) {
      vi.clearAllMocks();
      secretsEqual(presented, 'test-admin-token');
      expect(vi.mocked(crypto.createHash).mock.calls).toEqual([['sha256'], ['sha256']]);
      expect(crypto.timingSafeEqual).toHaveBeenCalledTimes(1);
      const [a, b] = vi.mocked(crypto.timingSafeEqual).mock.calls[0]!;
      // Equal-length digests: the comparison's time never depends on where the secrets differ.
      expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
    }
  });
});
