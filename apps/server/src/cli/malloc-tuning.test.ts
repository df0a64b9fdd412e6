import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MALLOC_TUNABLES, tunedEnvironment } from './malloc-tuning.ts';

test('the allocator settings are added on Linux, after any tunables the operator set for something else', () => {
  assert.equal(tunedEnvironment({ PATH: '/bin' }, 'linux')?.GLIBC_TUNABLES, MALLOC_TUNABLES);
  assert.equal(tunedEnvironment({ GLIBC_TUNABLES: 'glibc.pthread.rseq=0' }, 'linux')?.GLIBC_TUNABLES, `glibc.pthread.rseq=0:${MALLOC_TUNABLES}`);
  assert.equal(tunedEnvironment({ PATH: '/bin' }, 'linux')?.PATH, '/bin');
});

test('no re-execution: other systems, switched off, malloc already tuned (by the operator, or this is the copy), an IPC channel', () => {
  assert.equal(tunedEnvironment({}, 'darwin'), null);
  assert.equal(tunedEnvironment({ SAAS_LLM_MALLOC_TUNING: 'off' }, 'linux'), null);
  assert.equal(tunedEnvironment({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=4' }, 'linux'), null);
  assert.equal(tunedEnvironment({ GLIBC_TUNABLES: MALLOC_TUNABLES }, 'linux'), null);
  assert.equal(tunedEnvironment({ NODE_CHANNEL_FD: '3' }, 'linux'), null);
});
