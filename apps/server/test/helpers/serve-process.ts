import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CLI_ENTRY = resolve(import.meta.dirname, '../../src/cli/entry.ts');

/** A `saas-llm serve --demo` process started by a test, with its URL and everything it printed. */
export interface ServeProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** SIGTERM, resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Resolves when the process has exited (at once if it already has). */
  exited(): Promise<void>;
}

/**
 * Starts the real CLI (`serve --demo`) and resolves once it printed its URL and the API reference line.
 * `bundle`: the bundled entry (`scripts/bundle.mjs`, what `npm start` runs) instead of the sources through tsx.
 */
export function startServe(env: NodeJS.ProcessEnv, bundle?: string): Promise<ServeProcess> {
  const args = bundle ? [bundle, 'serve', '--demo'] : ['--import', 'tsx', CLI_ENTRY, 'serve', '--demo'];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    // A server that never came up must not outlive the test.
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`serve did not start:\n${output}`)); }, 150_000);
    const onExit = (code: number | null) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}:\n${output}`)); };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match && /API reference/.test(output)) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolvePromise({
          child, url: match[1]!, output: () => output,
          exited: () => new Promise((resolveExit) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolveExit();
            child.once('exit', () => resolveExit());
          }),
          stop: () => new Promise((resolveStop) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolveStop(child.exitCode);
            child.once('exit', (code) => resolveStop(code));
            child.kill('SIGTERM');
          }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
}

/** The variables of `<dataDir>/demo.env`. */
export function readDemoEnv(dataDir: string): Record<string, string> {
  return Object.fromEntries(readFileSync(join(dataDir, 'demo.env'), 'utf8').trim().split('\n').map((line) => line.split('=') as [string, string]));
}
