import { describe, expect, it } from 'vitest';
import { MALLOC_SETTINGS, NODE_FLAGS, startSettings } from './start-settings.ts';

const glibc = '2.36';

describe('startSettings', () => {
  it("adds V8's flags before the caller's and, on glibc, the allocator's variables, keeping the rest", () => {
    const restart = startSettings({
      env: { PORT: '3000', UNSET: undefined },
      execArgv: ['--inspect'],
      glibcVersion: glibc,
    });
    expect(restart).toEqual({ env: { PORT: '3000', ...MALLOC_SETTINGS }, execArgv: [...NODE_FLAGS, '--inspect'] });
  });

  it('asks for nothing once they are in place, so the restarted process does not restart again', () => {
    const first = startSettings({ env: { PORT: '3000' }, execArgv: [], glibcVersion: glibc })!;
    expect(startSettings({ ...first, glibcVersion: glibc })).toBeUndefined();
  });

  it("leaves an operator's own settings alone: a flag of the same name, any allocator variable", () => {
    const flagName = NODE_FLAGS[0]!.split('=')[0]!;
    const own = { env: { MALLOC_ARENA_MAX: '8' }, execArgv: [`${flagName}=32`], glibcVersion: glibc };
    expect(startSettings(own)).toBeUndefined();
    expect(
      startSettings({ ...own, execArgv: [], env: { ...own.env, NODE_OPTIONS: `${flagName}=32` } }),
    ).toBeUndefined();
    expect(startSettings({ ...own, env: { MALLOC_MMAP_THRESHOLD_: '65536' } })).toBeUndefined();
  });

  it('without glibc (musl, macOS) only the flags', () => {
    expect(startSettings({ env: { PORT: '3000' }, execArgv: [], glibcVersion: undefined })).toEqual({
      env: { PORT: '3000' },
      execArgv: [...NODE_FLAGS],
    });
    expect(startSettings({ env: {}, execArgv: [...NODE_FLAGS], glibcVersion: undefined })).toBeUndefined();
  });
});
