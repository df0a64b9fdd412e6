import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEAP_FLAGS, MALLOC_TUNABLES, tunedLaunch } from './memory-tuning.ts';

test('Linux: the allocator settings after any tunables set for something else, the heap flags before Node\'s own', () => {
  const launch = tunedLaunch({ env: { PATH: '/bin' }, execArgv: ['--enable-source-maps'] }, 'linux');
  assert.equal(launch?.env.GLIBC_TUNABLES, MALLOC_TUNABLES);
  assert.equal(launch?.env.PATH, '/bin');
  assert.deepEqual(launch?.execArgv, [...HEAP_FLAGS, '--enable-source-maps']);
  assert.equal(tunedLaunch({ env: { GLIBC_TUNABLES: 'glibc.pthread.rseq=0' }, execArgv: [] }, 'linux')?.env.GLIBC_TUNABLES, `glibc.pthread.rseq=0:${MALLOC_TUNABLES}`);
});

test('other systems: only the heap flags', () => {
  const launch = tunedLaunch({ env: {}, execArgv: [] }, 'darwin');
  assert.equal(launch?.env.GLIBC_TUNABLES, undefined);
  assert.deepEqual(launch?.execArgv, [...HEAP_FLAGS]);
});

test('what the operator set wins, setting by setting', () => {
  const ownMalloc = tunedLaunch({ env: { GLIBC_TUNABLES: 'glibc.malloc.arena_max=4' }, execArgv: [] }, 'linux');
  assert.equal(ownMalloc?.env.GLIBC_TUNABLES, 'glibc.malloc.arena_max=4');
  assert.deepEqual(ownMalloc?.execArgv, [...HEAP_FLAGS]);
  // Either spelling of a V8 flag.
  assert.deepEqual(tunedLaunch({ env: {}, execArgv: ['--heap_growing_percent=50'] }, 'linux')?.execArgv, ['--heap_growing_percent=50']);
  assert.deepEqual(tunedLaunch({ env: {}, execArgv: ['--max-semi-space-size=32'] }, 'linux')?.execArgv, ['--heap-growing-percent=30', '--max-semi-space-size=32']);
});

test('no re-execution: switched off, an IPC channel, or everything already set (the re-executed copy)', () => {
  assert.equal(tunedLaunch({ env: { SAAS_LLM_MEMORY_TUNING: 'off' }, execArgv: [] }, 'linux'), null);
  assert.equal(tunedLaunch({ env: { NODE_CHANNEL_FD: '3' }, execArgv: [] }, 'linux'), null);
  const copy = tunedLaunch({ env: {}, execArgv: [] }, 'linux')!;
  assert.equal(tunedLaunch(copy, 'linux'), null);
  assert.equal(tunedLaunch(tunedLaunch({ env: {}, execArgv: [] }, 'darwin')!, 'darwin'), null);
});
