import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { BenchResults } from './bench-report.ts';
import { REPO_ROOT } from './gateway-process.ts';
import { TARGET_KEYS } from './targets.ts';

// `npm run bench` end to end from this checkout, every phase for a moment (BENCH_SMOKE): the mock, the bare
// proxy, Portkey and the bundled gateway start, every row answers, the report is written. The figures are
// not read — only that each row was measured. The harness does not use the test database, so the suite's
// PostgreSQL pass skips it (it would run the same thing again).
test('the benchmark runs end to end and reports every row and bar', { skip: process.env.TEST_DATABASE_URL ? 'the harness does not use the test database: run once, on the PGlite pass' : false, timeout: 300_000 }, async () => {
  const output = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/src/run-bench.ts'], {
      cwd: REPO_ROOT, env: { ...process.env, BENCH_SMOKE: '1', BENCH_OUTPUT_DIR: output, BENCH_DATABASE_URL: '' }, timeout: 280_000, maxBuffer: 16 * 1024 * 1024,
    });
    const [file] = readdirSync(output).filter((name) => name.endsWith('.json'));
    assert.ok(file, 'a results file');
    const results = JSON.parse(readFileSync(join(output, file), 'utf8')) as BenchResults;
    for (const key of TARGET_KEYS) {
      const row = results.rows[key];
      assert.ok(row, key);
      assert.ok(row.throughput.c10!.ok > 0 && row.throughput.c100!.ok > 0, `${key}: answered under load`);
      assert.equal(row.throughputPasses?.length, 2, `${key}: two passes`);
      assert.ok(row.latencyAtRate.ok > 0, `${key}: paced calls answered`);
      assert.ok(row.streams.streams > 0 && row.streams.failed === 0, `${key}: streams probed`);
      if (key !== 'direct') assert.ok(row.openStreams && row.openStreams.open === row.openStreams.requested, `${key}: streams held open`);
    }
    assert.ok(results.coldStart.restartToFirstCallMs > 0);
    assert.ok(results.bars.length >= 20, `${results.bars.length} bars`);
    const markdown = readFileSync(join(output, 'BENCHMARKS.md'), 'utf8');
    assert.match(markdown, /<!-- bench:results:start[\s\S]*\| cold start ≤ 3 s on PGlite[\s\S]*<!-- bench:results:end -->/);
  } finally {
    rmSync(output, { recursive: true, force: true });
  }
});

test('a smoke run refuses to write over the repository\'s results', async () => {
  await assert.rejects(promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/src/run-bench.ts'], {
    cwd: REPO_ROOT, env: { ...process.env, BENCH_SMOKE: '1', BENCH_OUTPUT_DIR: '' }, timeout: 60_000,
  }), (error: { stderr?: string }) => /BENCH_SMOKE=1 needs BENCH_OUTPUT_DIR/.test(error.stderr ?? ''));
});
