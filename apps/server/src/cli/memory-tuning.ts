/**
 * Memory settings `serve` starts with: glibc's allocator (decision 017) and V8's heap sizing (decision 018).
 * Both are read once, when a process starts — glibc reads `GLIBC_TUNABLES`, V8 its command-line flags — so
 * `serve` replaces itself (`process.execve`: same pid, same stdio, nothing else kept) with a copy of the same
 * command that has them, before it opens anything.
 *
 * Allocator, why: the gateway's native allocations come from several threads (event loop, database thread,
 * token counter, V8's helpers) and many are tens to hundreds of kilobytes (socket reads, a database round's
 * JSON crossing threads, PGlite's protocol buffers). With glibc's defaults each thread gets its own 64 MB
 * arena and the mmap threshold rises to the largest block freed, so those blocks end up inside arenas that
 * fragment and are never given back. Measured in bench/ (job API at 10 connections, then 1,000 open
 * streams): RSS with the streams open 466–576 MB → 345–361 MB, throughput unchanged within the noise.
 * - `arena_max=1`: one arena for every thread (four busy threads on two cores: no measurable contention);
 * - `mmap_threshold=65536`: blocks of 64 KB and more are mapped on their own and unmapped when freed (a fixed
 *   threshold also stops glibc from raising it);
 * - `trim_threshold=131072`: free memory at an arena's top beyond 128 KB is returned.
 *
 * Heap, why: after load, V8's heaps were ~200 of the ~370 MB of RSS, of which the event loop's live objects
 * were ~60 MB; the rest was room V8 grows each heap into (by default up to 2–4 × what survived the last full
 * collection) and two 16 MB semi-spaces. Measured in bench/ (job API at 10 then 100 connections, stream
 * probes, then 1,000 open streams), RSS with the streams open, two runs each: defaults 376/412 MB;
 * `--heap-growing-percent=30` with the database thread's young generation capped (PgliteThreadDatabase)
 * 306/313. CPU per request the same within the noise (870–1,130 µs); adding `--max-semi-space-size=8`
 * (300/302 MB) made streamed chunks later (0.86 vs 0.57 ms transit in 4 of 4 paired runs) and was dropped;
 * `--optimize-for-size` (269 MB) cost ~40 % of the throughput at 100 connections.
 */
export const MALLOC_TUNABLES = 'glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=65536:glibc.malloc.trim_threshold=131072';

/** Every heap grows by 30 % over what survived its last full collection. */
export const HEAP_FLAGS = ['--heap-growing-percent=30'] as const;

/** Set to `off` to run with glibc's and V8's defaults. */
export const MEMORY_TUNING_SWITCH = 'SAAS_LLM_MEMORY_TUNING';

/** How to start the process: its environment and Node's flags before the script. */
export interface Launch {
  env: NodeJS.ProcessEnv;
  execArgv: string[];
}

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/** `--max-semi-space-size=8` → `max_semi_space_size` (V8 accepts both `-` and `_`). */
function flagName(flag: string): string {
  return flag.replace(/^--/, '').split('=')[0]!.replaceAll('-', '_');
}

/**
 * The launch to re-execute with, or null to go on as is. Left alone: switched off, a process with an IPC
 * channel to its parent (cluster workers, which inherit the primary's flags and environment; the channel's
 * descriptor would not survive), and whatever the operator already set — any `glibc.malloc.*` tunable
 * (only on Linux: other C libraries ignore the variable), or a heap flag among Node's flags (or in
 * `NODE_OPTIONS`, for flags Node accepts there). The re-executed copy has them all, which is what stops a second re-execution.
 */
export function tunedLaunch(current: Launch, platform: NodeJS.Platform = process.platform): Launch | null {
  const { env, execArgv } = current;
  if (env[MEMORY_TUNING_SWITCH] === 'off') return null;
  if (env.NODE_CHANNEL_FD !== undefined) return null;
  const tunables = env.GLIBC_TUNABLES ?? '';
  const addTunables = platform === 'linux' && !tunables.includes('glibc.malloc.');
  const given = new Set([...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].filter((arg) => arg.startsWith('--')).map(flagName));
  const addFlags = HEAP_FLAGS.filter((flag) => !given.has(flagName(flag)));
  if (!addTunables && addFlags.length === 0) return null;
  return {
    env: addTunables ? { ...env, GLIBC_TUNABLES: tunables ? `${tunables}:${MALLOC_TUNABLES}` : MALLOC_TUNABLES } : env,
    execArgv: [...addFlags, ...execArgv],
  };
}

/**
 * Re-executes this process with the tuned launch (never returns), or returns when that does not apply or
 * the system refuses it (then the gateway serves with the defaults, and says so on stderr).
 */
export function applyMemoryTuning(environment: NodeJS.ProcessEnv): void {
  const launch = tunedLaunch({ env: environment, execArgv: process.execArgv });
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (!launch || typeof execve !== 'function') return;
  try {
    execve(process.execPath, [process.execPath, ...launch.execArgv, ...process.argv.slice(1)], launch.env);
  } catch (error) {
    process.stderr.write(`saas-llm: serving with the default memory settings: re-executing failed (${error instanceof Error ? error.message : String(error)})\n`);
  }
}
