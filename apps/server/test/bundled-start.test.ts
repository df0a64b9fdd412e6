import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { countTokens } from 'gpt-tokenizer';
import { readDemoEnv, startServe } from './helpers/serve-process.ts';

// `npm start` runs the bundle of scripts/bundle.mjs (decision 011), not the sources: this builds one
// into a temp directory and serves the demo tenant from it, migrations and database thread included.

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
// Inside the repository: the bundle resolves its npm dependencies from the repository's node_modules.
const scratch = mkdtempSync(join(REPO_ROOT, 'apps/server/.bundle-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('the bundled server starts on a fresh data directory, migrates, bootstraps the demo and answers a job call', async () => {
  const outdir = join(scratch, 'dist');
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/bundle.mjs'), outdir], { stdio: 'pipe' });
  for (const file of ['saas-llm.mjs', 'pglite-thread-worker.mjs', 'pglite-initdb.mjs', 'token-count-thread.mjs']) assert.ok(existsSync(join(outdir, file)), file);
  assert.ok(existsSync(join(outdir, 'migrations', '0001_init.sql')));
  // The bundled counting thread reads gpt-tokenizer's rank module as data at run time: it counts as the library does.
  const texts = ['hello world', 'The quick brown fox 🦊 quotes <|endoftext|> in 東京'];
  const counter = new Worker(join(outdir, 'token-count-thread.mjs'));
  try {
    const reply = await new Promise<{ counts?: number[]; error?: string }>((resolveReply, rejectReply) => {
      counter.once('message', resolveReply);
      counter.once('error', rejectReply);
      counter.postMessage({ id: 1, texts });
    });
    assert.deepEqual(reply.counts, texts.map((text) => countTokens(text, { disallowedSpecial: new Set() })));
  } finally {
    await counter.terminate();
  }

  const dataDir = join(scratch, 'data');
  const env: NodeJS.ProcessEnv = { ...process.env, SAAS_LLM_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SAAS_LLM_MASTER_KEY: 'mk-bundle-test-0123456789abcdef', LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  const server = await startServe(env, join(outdir, 'saas-llm.mjs'));
  try {
    const demo = readDemoEnv(dataDir);
    const auth = { authorization: `Bearer ${demo.SAAS_VIRTUAL_KEY}`, 'content-type': 'application/json' };
    const ready = await fetch(`${server.url}/health/ready`);
    assert.equal(ready.status, 200, await ready.text());
    const created = await fetch(`${server.url}/api/jobs/create`, { method: 'POST', headers: auth, body: JSON.stringify({ team_id: demo.SAAS_TEAM_ID, job_type: 'bundle-check' }) });
    assert.equal(created.status, 200);
    const { job_id: jobId } = await created.json() as { job_id: string };
    const call = await fetch(`${server.url}/api/jobs/${jobId}/llm-call`, {
      method: 'POST', headers: auth, body: JSON.stringify({ model: 'chat-fast', messages: [{ role: 'user', content: 'hello' }] }),
    });
    assert.equal(call.status, 200, await call.clone().text());
    const completed = await fetch(`${server.url}/api/jobs/${jobId}/complete`, { method: 'POST', headers: auth, body: JSON.stringify({ status: 'completed' }) });
    const body = await completed.json() as { costs: { total_calls: number } };
    assert.equal(completed.status, 200);
    assert.equal(body.costs.total_calls, 1);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});
