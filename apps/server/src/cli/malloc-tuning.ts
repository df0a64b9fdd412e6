/**
 * glibc's allocator settings for `serve` (decision 017). They are read once, when a process starts, from
 * `GLIBC_TUNABLES`; so `serve` replaces itself (`process.execve`: same pid, same stdio, nothing else kept)
 * with a copy of the same command that has them, before it opens anything.
 *
 * Why: the gateway's native allocations come from several threads (event loop, database thread, token
 * counter, V8's helpers) and many are tens to hundreds of kilobytes (socket reads, a database round's
 * JSON crossing threads, PGlite's protocol buffers). With glibc's defaults each thread gets its own 64 MB
 * arena and the mmap threshold rises to the largest block freed, so those blocks end up inside arenas that
 * fragment and are never given back. Measured in bench/ (job API at 10 connections, then 1,000 open
 * streams): RSS with the streams open 466–576 MB → 345–361 MB, throughput unchanged within the noise.
 * - `arena_max=1`: one arena for every thread (four busy threads on two cores: no measurable contention);
 * - `mmap_threshold=65536`: blocks of 64 KB and more are mapped on their own and unmapped when freed (a fixed
 *   threshold also stops glibc from raising it);
 * - `trim_threshold=131072`: free memory at an arena's top beyond 128 KB is returned.
 */
export const MALLOC_TUNABLES = 'glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=65536:glibc.malloc.trim_threshold=131072';

/** Set to `off` to run with glibc's defaults. */
export const MALLOC_TUNING_SWITCH = 'SAAS_LLM_MALLOC_TUNING';

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/**
 * The environment to re-execute with, or null to go on as is: not Linux (other C libraries ignore the
 * variable, other systems have no execve here), switched off, the operator's own malloc tunables already
 * set (or ours: this is the re-executed process), or a process with an IPC channel to its parent (cluster
 * workers, which inherit the primary's environment anyway; the channel's descriptor would not survive).
 */
export function tunedEnvironment(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): NodeJS.ProcessEnv | null {
  if (platform !== 'linux') return null;
  if (env[MALLOC_TUNING_SWITCH] === 'off') return null;
  if (env.NODE_CHANNEL_FD !== undefined) return null;
  const current = env.GLIBC_TUNABLES ?? '';
  if (current.includes('glibc.malloc.')) return null;
  return { ...env, GLIBC_TUNABLES: current ? `${current}:${MALLOC_TUNABLES}` : MALLOC_TUNABLES };
}

/**
 * Re-executes this process with the tunables added to `environment` (never returns), or returns when that
 * does not apply.
 */
export function applyMallocTuning(environment: NodeJS.ProcessEnv): void {
  const env = tunedEnvironment(environment);
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (!env || typeof execve !== 'function') return;
  try {
    execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], env);
  } catch {
    // execve refused (a sandbox, say): serve with the defaults rather than not at all.
  }
}
