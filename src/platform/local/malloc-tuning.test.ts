import { describe, expect, it } from 'vitest';
import { MALLOC_SETTINGS, mallocTunedEnvironment } from './malloc-tuning.ts';

describe('mallocTunedEnvironment', () => {
  it('adds the settings to the environment on glibc, keeping everything else', () => {
    const env = mallocTunedEnvironment({ PORT: '3000', PATH: '/bin', UNSET: undefined }, '2.36');
    expect(env).toEqual({ PORT: '3000', PATH: '/bin', ...MALLOC_SETTINGS });
    expect(env).not.toHaveProperty('UNSET');
  });

  it('changes nothing once they are set, so the restarted process does not restart again', () => {
    const once = mallocTunedEnvironment({ PORT: '3000' }, '2.36');
    expect(mallocTunedEnvironment(once!, '2.36')).toBeUndefined();
  });

  it("leaves an operator's own allocator settings alone, even one of them", () => {
    expect(mallocTunedEnvironment({ MALLOC_ARENA_MAX: '8' }, '2.36')).toBeUndefined();
    expect(mallocTunedEnvironment({ MALLOC_MMAP_THRESHOLD_: '65536' }, '2.36')).toBeUndefined();
  });

  it('does nothing without glibc (musl, macOS, Windows)', () => {
    expect(mallocTunedEnvironment({ PORT: '3000' }, undefined)).toBeUndefined();
  });
});
