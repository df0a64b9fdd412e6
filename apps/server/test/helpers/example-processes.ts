import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** The repository root: examples run from there, as `npm run example:<name>` does. */
export const REPO_ROOT = resolve(import.meta.dirname, '../../../..');
const CLI = resolve(REPO_ROOT, 'apps/server/src/cli/entry.ts');

/** The environment for spawned processes: the test's own, minus anything that would point them elsewhere. */
export function isolatedEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...extra };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'OPENAI_API_KEY', 'SAAS_API_URL', 'SAAS_VIRTUAL_KEY', 'SAAS_TEAM_ID', 'HOST', 'PORT']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

/** A long-running process (the gateway, the chain server) with everything it printed. */
export interface RunningProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  stop: () => Promise<number | null>;
}

/**
 * Spawns `node --import tsx <script> …args` and resolves once its output matches `ready` (whose first
 * group is the URL it listens on). Rejects with everything it printed if it exits or takes too long.
 */
export function startProcess(script: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 150_000): Promise<RunningProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not become ready in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        // Keep collecting for diagnostics.
        child.stdout!.on('data', (more: Buffer) => { output += more.toString(); });
        child.stderr!.on('data', (more: Buffer) => { output += more.toString(); });
        resolvePromise({ child, url: match[1]!, output: () => output, stop: () => stopProcess(child) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

/** `saas-llm serve --demo` on a free port over the given data directory (embedded PGlite). */
export function startDemoGateway(dataDir: string): Promise<RunningProcess> {
  const env = isolatedEnv({ SAAS_LLM_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SAAS_LLM_MASTER_KEY: 'mk-examples-test-0123456789abcdef' });
  return startProcess(CLI, ['serve', '--demo'], env, /API reference: (http:\/\/127\.0\.0\.1:\d+)\/docs/);
}

/** Stops a process with SIGTERM and resolves with its exit code. */
export async function stopProcess(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.removeAllListeners('exit');
  const exited = new Promise<number | null>((resolvePromise) => child.once('exit', (code) => resolvePromise(code)));
  child.kill('SIGTERM');
  return exited;
}

/** What a finished example printed: stdout as one string and as the pieces the pipe delivered. */
export interface ExampleRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as it arrived, read by read: streaming output arrives in many pieces. */
  pieces: string[];
}

/** Runs an example script to its end (as `npm run example:<name>` would) and collects its output. */
export function runExampleScript(script: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<ExampleRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, script)], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const pieces: string[] = [];
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish in ${timeoutMs} ms:\n${pieces.join('')}\n${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => pieces.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    // 'close', not 'exit': it comes after the pipes are drained, so no output is lost.
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout: pieces.join(''), stderr, pieces });
    });
  });
}
