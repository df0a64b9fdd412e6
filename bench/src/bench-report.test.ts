import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { evaluateBars, resultsSection, type BenchResults } from './bench-report.ts';

// The bars of 06-quality.md judged from a real run's results (the one BENCHMARKS.md shows), and judged
// again after changing the figures they depend on: a bar must flip when its figure crosses the line.

const run = JSON.parse(readFileSync(new URL('../results/2026-11-24.json', import.meta.url), 'utf8')) as BenchResults;

function bar(results: BenchResults, name: string, row = 'gateway-job') {
  const found = evaluateBars(results).find((candidate) => candidate.bar.startsWith(name) && candidate.row === row);
  assert.ok(found, name);
  return found;
}

test('the committed run: cold start met, throughput against Portkey and the bare proxy computed from the rows', () => {
  assert.equal(bar(run, 'cold start').met, run.coldStart.restartToFirstCallMs <= 3000);
  const versusPortkey = run.rows['gateway-job']!.throughput.c10!.rps / run.rows.portkey!.throughput.c10!.rps;
  const portkeyBar = bar(run, 'throughput ≥ 4 × Portkey (10 connections)');
  assert.equal(portkeyBar.met, versusPortkey >= 4);
  assert.equal(portkeyBar.measured, `${versusPortkey.toFixed(2)}×`);
  assert.match(resultsSection(run), /\| cold start ≤ 3 s on PGlite \(spawn → first LLM call\) \| gateway-job \| \d+ ms \| (yes|\*\*no\*\*) \|/);
});

test('each bar flips when its figure crosses the line', () => {
  const copy = () => structuredClone(run);
  const slow = copy();
  slow.coldStart.restartToFirstCallMs = 3001;
  assert.equal(bar(slow, 'cold start').met, false);
  const fast = copy();
  fast.coldStart.restartToFirstCallMs = 3000;
  assert.equal(bar(fast, 'cold start').met, true);

  const quick = copy();
  quick.rows['gateway-job']!.throughput.c100!.rps = quick.rows.portkey!.throughput.c100!.rps * 4;
  assert.equal(bar(quick, 'throughput ≥ 4 × Portkey (100 connections)').met, true);
  quick.rows['gateway-job']!.throughput.c100!.rps -= 1;
  assert.equal(bar(quick, 'throughput ≥ 4 × Portkey (100 connections)').met, false);

  const lean = copy();
  lean.rows['gateway-job']!.latencyAtRate.latencyMs.p50 = lean.rows.direct!.latencyAtRate.latencyMs.p50 + 1;
  assert.equal(bar(lean, 'added latency p50 ≤ 1 ms').met, true);
  lean.rows['gateway-job']!.latencyAtRate.latencyMs.p50 += 0.01;
  assert.equal(bar(lean, 'added latency p50 ≤ 1 ms').met, false);

  // A baseline spike (direct slower than the row) voids the comparison instead of meeting the bar.
  const spiky = copy();
  spiky.rows.direct!.latencyAtRate.latencyMs.p99 = spiky.rows['gateway-job']!.latencyAtRate.latencyMs.p99 + 10;
  const voided = bar(spiky, 'added latency p99 ≤ 5 ms');
  assert.equal(voided.met, false);
  assert.match(voided.measured, /^void: direct /);

  const noWorkers = copy();
  delete (noWorkers as { workerScaling?: unknown }).workerScaling;
  const scaling = bar(noWorkers, 'throughput near-linear');
  assert.deepEqual([scaling.met, scaling.measured], [false, 'not measured: needs BENCH_DATABASE_URL']);
});

test('a run with two throughput passes says so above its table; an older run keeps its own wording', () => {
  assert.doesNotMatch(resultsSection(run), /two passes/);
  const twoPasses = structuredClone(run);
  twoPasses.rows.direct!.throughputPasses = [twoPasses.rows.direct!.throughput, twoPasses.rows.direct!.throughput];
  assert.match(resultsSection(twoPasses), /closed loop at 10 and 100 connections, two passes — the rows in order, then in reverse — combined/);
});
