import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Core placement of the benchmark (the machine has 2 cores; see BENCHMARKS.md):
 * - core 0: this process (the load generator and the stream probes) and the mock upstream — the
 *   "outside world", whose cost is the same for every row;
 * - core 1: the system under test, alone — one proxy at a time is loaded, the others sit idle.
 * `taskset` is from util-linux; without it the processes run unpinned and the report says so.
 */
export const CORES = { outside: '0', underTest: '1' } as const;

let tasksetAvailable: boolean | null = null;

export function hasTaskset(): boolean {
  if (tasksetAvailable === null) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      tasksetAvailable = true;
    } catch {
      tasksetAvailable = false;
    }
  }
  return tasksetAvailable;
}

/** Pins the current process (the load generator) to `cores`. */
export function pinSelf(cores: string): boolean {
  if (!hasTaskset()) return false;
  execFileSync('taskset', ['-a', '-p', '-c', cores, String(process.pid)], { stdio: 'ignore' });
  return true;
}

/** A free loopback port (the OS picks it; a race with another process is possible but harmless here). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface PinnedProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** When `spawn` returned (performance.now() of this process). */
  spawnedAt: number;
  /** Everything the process wrote to stderr (bounded), for error reports. */
  stderr(): string;
  stop(): Promise<void>;
}

const STDERR_LIMIT = 64 * 1024;

/**
 * Spawns `command args…` pinned to `cores` (taskset execs the command, so the pid is the server's own).
 * stdout is ignored unless `onStdout` is given; stderr is kept (bounded) for diagnostics.
 */
export function spawnPinned(name: string, cores: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; onStdout?: (text: string) => void } = {}): PinnedProcess {
  const [file, argv] = hasTaskset() ? ['taskset', ['-c', cores, command, ...args]] : [command, args];
  const child = spawn(file, argv, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', options.onStdout ? 'pipe' : 'ignore', 'pipe'] });
  const spawnedAt = performance.now();
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => { if (stderr.length < STDERR_LIMIT) stderr += text; });
  if (options.onStdout) child.stdout?.setEncoding('utf8').on('data', options.onStdout);
  if (child.pid === undefined) throw new Error(`${name}: spawn failed`);
  const pid = child.pid;
  let exited = false;
  child.once('exit', () => { exited = true; });
  return {
    name, child, pid, spawnedAt,
    stderr: () => stderr,
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const deadline = Date.now() + 10_000;
      while (!exited && Date.now() < deadline) await sleep(50);
      if (!exited) child.kill('SIGKILL');
    },
  };
}

/** Polls `url` (GET) until it answers any HTTP status below 500, or throws after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, process?: PinnedProcess): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (process && process.child.exitCode !== null) throw new Error(`${process.name} exited with ${process.child.exitCode}: ${process.stderr().slice(-2000)}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status < 500) return;
    } catch {
      // Not listening yet.
    }
    await sleep(20);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms${process ? `: ${process.stderr().slice(-2000)}` : ''}`);
}

/**
 * Resident set size now and at its peak (`VmHWM`), in MB, summed over `pid` and its descendants (the
 * workers of a clustered gateway count too). The summed peak is an upper bound: the peaks of different
 * processes need not coincide.
 */
export function memoryOf(pid: number): { rssMb: number; peakRssMb: number; processes: number } {
  let rssKb = 0;
  let peakKb = 0;
  const pids = processTree(pid);
  for (const each of pids) {
    let status: string;
    try {
      status = readFileSync(`/proc/${each}/status`, 'utf8');
    } catch {
      continue; // exited between the listing and the read
    }
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    rssKb += kb('VmRSS');
    peakKb += kb('VmHWM');
  }
  return { rssMb: round1(rssKb / 1024), peakRssMb: round1(peakKb / 1024), processes: pids.length };
}

function processTree(pid: number): number[] {
  const all = [pid];
  for (let index = 0; index < all.length; index++) {
    const current = all[index]!;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${current}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        for (const child of readFileSync(`/proc/${current}/task/${task}/children`, 'utf8').trim().split(/\s+/)) {
          if (child) all.push(Number(child));
        }
      } catch {
        // The task ended meanwhile.
      }
    }
  }
  return all;
}

/** Resets the peak RSS counters of `pid` and its descendants (5 → clear_refs resets VmHWM), so a phase's own peak can be read. */
export function resetPeakRss(pid: number): boolean {
  let reset = true;
  for (const each of processTree(pid)) {
    try {
      writeFileSync(`/proc/${each}/clear_refs`, '5');
    } catch {
      reset = false;
    }
  }
  return reset;
}

/**
 * CPU time (user + system, ms) consumed so far by `pid` and its descendants. Divided by the requests of
 * a run it gives CPU per request: unlike requests/s it barely moves when other work shares the machine.
 */
export function cpuTimeMs(pid: number): number {
  let ticks = 0;
  for (const each of processTree(pid)) {
    try {
      // Fields after the command name (which may contain spaces) start at state; utime and stime are fields 14 and 15.
      const stat = readFileSync(`/proc/${each}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Exited meanwhile.
    }
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK); /proc/<pid>/stat counts in it. */
const CLOCK_TICKS_PER_SECOND = 100;

export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
