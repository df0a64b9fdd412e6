import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ColdStart } from './cold-start.ts';
import type { LoadResult, MeasuredLoad } from './load-run.ts';
import type { MachineDescription } from './machine.ts';
import type { OpenStreamsResult } from './open-streams.ts';
import type { StreamTimings } from './stream-probe.ts';
import type { WorkerScaling } from './worker-scaling.ts';
import { TARGET_KEYS, TARGET_LABELS, type TargetKey } from './targets.ts';

export interface RowResult {
  idleRssMb: number;
  /** Both passes combined (`combinePasses`): what the tables and bars use. */
  throughput: Record<string, MeasuredLoad>;
  /** Each pass on its own (runs before round 8 had one pass and no such field). */
  throughputPasses?: Array<Record<string, MeasuredLoad>>;
  latencyAtRate: LoadResult;
  streams: StreamTimings;
  peakRssMb: number;
  openStreams?: OpenStreamsResult;
}

export interface Bar {
  bar: string;
  row: TargetKey;
  measured: string;
  met: boolean;
}

export interface BenchResults {
  kind: 'bench';
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  machine: MachineDescription;
  placement: { loadGenerator: string; mockUpstream: string; underTest: string; pinned: boolean };
  gateway: { workers: number; database: 'pglite' | 'postgres'; budgetMode: string; jobs: string };
  plan: Record<string, unknown>;
  v1Available: boolean;
  rows: Partial<Record<TargetKey, RowResult>>;
  coldStart: ColdStart & { freshDataDirToHealthMs: number; startupPeakRssMb: number };
  /** Present when the run had BENCH_DATABASE_URL (worker processes need PostgreSQL). */
  workerScaling: WorkerScaling | null;
  bars: Bar[];
}

const GATEWAY_ROWS = ['gateway-job', 'gateway-v1'] as const;
const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const ratio = (value: number) => `${fixed(value, 2)}×`;

/** What a row adds to the direct figure; "void" where the baseline was the slower (see `addedBar`). */
function addedText(rowMs: number, directMs: number): string {
  return rowMs < directMs ? 'void' : fixed(rowMs - directMs);
}

/**
 * A bar on what the row adds to the direct call. A proxy cannot be faster than the call it makes, so a
 * negative difference means the direct baseline itself was disturbed in its window (one spike decides a
 * p99): the comparison is void and the bar is not counted as met. Judged at the figures' precision
 * (0.01 ms): 2.16 − 1.16 is 1.0000000000000002 in floating point, and must meet a 1 ms bar.
 */
function addedBar(name: string, key: TargetKey, rowMs: number, directMs: number, limitMs: number): Bar {
  const added = Math.round((rowMs - directMs) * 100) / 100;
  if (added < 0) return { bar: name, row: key, measured: `void: direct ${fixed(directMs)} ms > this row's ${fixed(rowMs)} ms`, met: false };
  return { bar: name, row: key, measured: `${fixed(added)} ms`, met: added <= limitMs };
}

/** Each bar of 06-quality.md against this run's numbers, per gateway row. */
export function evaluateBars(results: BenchResults): Bar[] {
  const bars: Bar[] = [];
  const direct = results.rows.direct;
  const bare = results.rows.bare;
  const portkey = results.rows.portkey;
  for (const key of GATEWAY_ROWS) {
    const row = results.rows[key];
    if (!row || !direct) continue;
    bars.push(addedBar('added latency p50 ≤ 1 ms (non-streaming, ≤ 10 connections, 50 req/s paced)', key, row.latencyAtRate.latencyMs.p50, direct.latencyAtRate.latencyMs.p50, 1));
    bars.push(addedBar('added latency p99 ≤ 5 ms (non-streaming, ≤ 10 connections, 50 req/s paced)', key, row.latencyAtRate.latencyMs.p99, direct.latencyAtRate.latencyMs.p99, 5));
    for (const connections of ['c10', 'c100']) {
      const rps = row.throughput[connections]?.rps ?? 0;
      if (portkey) {
        const versusPortkey = rps / (portkey.throughput[connections]?.rps ?? Number.NaN);
        bars.push({ bar: `throughput ≥ 4 × Portkey (${connections.slice(1)} connections)`, row: key, measured: ratio(versusPortkey), met: versusPortkey >= 4 });
      }
      if (bare) {
        const versusBare = rps / (bare.throughput[connections]?.rps ?? Number.NaN);
        bars.push({ bar: `throughput ≥ 0.5 × bare proxy (${connections.slice(1)} connections)`, row: key, measured: ratio(versusBare), met: versusBare >= 0.5 });
      }
    }
    bars.push(addedBar('added time to first token ≤ 1 ms p50', key, row.streams.ttftMs.p50, direct.streams.ttftMs.p50, 1));
    bars.push(addedBar('chunks forwarded within 0.2 ms of arrival (p50)', key, row.streams.chunkTransitMs.p50, direct.streams.chunkTransitMs.p50, 0.2));
    if (row.openStreams) {
      const allOpen = row.openStreams.open === row.openStreams.requested;
      bars.push({ bar: '1,000 concurrent streams with RSS ≤ 300 MB', row: key,
        measured: `${row.openStreams.rssMb} MB, ${row.openStreams.open}/${row.openStreams.requested} open`, met: allOpen && row.openStreams.rssMb <= 300 });
    }
  }
  if (results.rows['gateway-job']) {
    bars.push({ bar: 'idle RSS ≤ 120 MB (restarted, after its first call)', row: 'gateway-job', measured: `${results.coldStart.rssAfterFirstCallMb} MB`, met: results.coldStart.rssAfterFirstCallMb <= 120 });
    bars.push({ bar: 'cold start ≤ 3 s on PGlite (spawn → first LLM call)', row: 'gateway-job', measured: `${results.coldStart.restartToFirstCallMs} ms`, met: results.coldStart.restartToFirstCallMs <= 3000 });
  }
  const scaling = results.workerScaling;
  bars.push(scaling
    ? { bar: 'throughput near-linear from 1 to 2 workers (≥ 1.8×)', row: 'gateway-job', measured: `${ratio(scaling.speedup)} (${scaling.runs.map((run) => `${run.workers}: ${run.load.rps} req/s`).join(', ')})`, met: scaling.speedup >= 1.8 }
    : { bar: 'throughput near-linear from 1 to 2 workers (≥ 1.8×)', row: 'gateway-job', measured: 'not measured: needs BENCH_DATABASE_URL', met: false });
  return bars;
}

const START = '<!-- bench:results:start (generated by npm run bench; edits inside are overwritten) -->';
const END = '<!-- bench:results:end -->';

function machineLines(results: BenchResults): string[] {
  const machine = results.machine;
  return [
    `Run of ${results.startedAt.replace('T', ' ').slice(0, 16)} UTC, ${results.durationSeconds} s, results in \`bench/results/${results.startedAt.slice(0, 10)}.json\`.`,
    '',
    `- Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.platform}; load average ${machine.loadAverageAtStart} at start, ${machine.loadAverageAtEnd ?? 'n/a'} at end (other work on the machine shows here).`,
    `- Node ${machine.node}; gateway ${machine.gatewayVersion} (${results.gateway.workers} worker, ${results.gateway.database === 'pglite' ? 'embedded PGlite' : 'PostgreSQL'}, team in \`${results.gateway.budgetMode}\`, ${results.gateway.jobs}); Portkey gateway ${machine.portkeyVersion}; autocannon ${machine.autocannonVersion}.`,
    `- Cores: load generator and mock upstream on core ${results.placement.loadGenerator}, the proxy under test alone on core ${results.placement.underTest}${results.placement.pinned ? ' (taskset)' : ' (taskset unavailable: unpinned)'}.`,
  ];
}

type BenchRow = NonNullable<BenchResults['rows'][(typeof TARGET_KEYS)[number]]>;

/**
 * A markdown table with one line per target row; a target absent from this run says so. `cells` gets the
 * row, the direct row (for "added" figures, absent for the direct row itself) and returns the cells after the label.
 */
function rowTable(results: BenchResults, header: string[], cells: (row: BenchRow, direct: BenchRow | null) => string[]): string[] {
  const lines = [`| row | ${header.join(' | ')} |`, `|---|${header.map(() => '---:').join('|')}|`];
  const direct = results.rows.direct ?? null;
  for (const key of TARGET_KEYS) {
    const row = results.rows[key];
    if (!row) {
      lines.push(`| ${TARGET_LABELS[key]} | not available in this build |${' |'.repeat(header.length - 1)}`);
      continue;
    }
    lines.push(`| ${TARGET_LABELS[key]} | ${cells(row, key === 'direct' ? null : direct).join(' | ')} |`);
  }
  return lines;
}

function throughputTable(results: BenchResults): string[] {
  const header = ['req/s @10', 'req/s @100', 'p50 / p99 @10 (ms)', 'p50 / p99 @100 (ms)', 'CPU per request', 'added p50 / p99 at 50 req/s paced (ms)', 'errors'];
  return rowTable(results, header, (row, direct) => {
    const c10 = row.throughput.c10!;
    const c100 = row.throughput.c100!;
    const added = !direct ? '—'
      : `${addedText(row.latencyAtRate.latencyMs.p50, direct.latencyAtRate.latencyMs.p50)} / ${addedText(row.latencyAtRate.latencyMs.p99, direct.latencyAtRate.latencyMs.p99)}`;
    const errors = c10.errors + c10.non2xx + c100.errors + c100.non2xx + row.latencyAtRate.errors + row.latencyAtRate.non2xx;
    return [String(c10.rps), String(c100.rps), `${fixed(c10.latencyMs.p50)} / ${fixed(c10.latencyMs.p99)}`, `${fixed(c100.latencyMs.p50)} / ${fixed(c100.latencyMs.p99)}`,
      `${c10.cpuUsPerRequest} / ${c100.cpuUsPerRequest} µs`, added, String(errors)];
  });
}

function streamTable(results: BenchResults): string[] {
  const header = ['TTFT p50 (ms)', 'added TTFT p50', 'chunk transit p50 / p99 (ms)', 'added per chunk p50', 'idle RSS', 'peak RSS under load', '1,000 open streams'];
  return rowTable(results, header, (row, direct) => {
    const addedTtft = !direct ? '—' : `${addedText(row.streams.ttftMs.p50, direct.streams.ttftMs.p50)} ms`;
    const addedChunk = !direct ? '—' : `${addedText(row.streams.chunkTransitMs.p50, direct.streams.chunkTransitMs.p50)} ms`;
    const open = row.openStreams ? `${row.openStreams.rssMb} MB (${row.openStreams.open}/${row.openStreams.requested} open in ${row.openStreams.openedInMs} ms)` : '—';
    return [fixed(row.streams.ttftMs.p50), addedTtft, `${fixed(row.streams.chunkTransitMs.p50)} / ${fixed(row.streams.chunkTransitMs.p99)}`, addedChunk,
      `${row.idleRssMb} MB`, `${row.peakRssMb} MB`, open];
  });
}

function barTable(results: BenchResults): string[] {
  const lines = ['| bar (06-quality.md) | row | measured | met |', '|---|---|---:|:---:|'];
  for (const bar of results.bars) lines.push(`| ${bar.bar} | ${bar.row} | ${bar.measured} | ${bar.met ? 'yes' : '**no**'} |`);
  return lines;
}

/** The generated section of BENCHMARKS.md for one run. */
export function resultsSection(results: BenchResults): string {
  const cold = results.coldStart;
  return [
    START,
    ...machineLines(results),
    '',
    results.rows.direct?.throughputPasses
      ? '**Non-streaming** (instant mock; closed loop at 10 and 100 connections, two passes — the rows in order, then in reverse — combined: req/s and CPU per request over both, p50 their mean, p99 the higher; CPU per request is the row\'s process CPU time divided by its answers, at 10 / 100 connections):'
      : '**Non-streaming** (instant mock; closed loop at 10 and 100 connections; CPU per request is the row\'s process CPU time divided by its answers, at 10 / 100 connections):',
    '',
    ...throughputTable(results),
    '',
    '**Streaming and memory** (TTFT: request sent → first content chunk, mock waits 20 ms; chunk transit: mock sent → client received, per chunk, 20 chunks 10 ms apart; 10 streams at a time):',
    '',
    ...streamTable(results),
    '',
    ...(results.workerScaling ? [`**Worker processes** (PostgreSQL, ${results.workerScaling.note}): ${results.workerScaling.runs.map((run) => `WORKERS=${run.workers}: ${run.load.rps} req/s at 100 connections, ${run.cpuUsPerRequest} µs CPU per request`).join('; ')} — ${ratio(results.workerScaling.speedup)}.`, ''] : []),
    `**Cold start**: restart on an existing PGlite data directory → first LLM call answered: ${cold.restartToFirstCallMs} ms (RSS then ${cold.rssAfterFirstCallMb} MB); fresh data directory → \`/health\`: ${cold.freshDataDirToHealthMs} ms (peak RSS during that start ${cold.startupPeakRssMb} MB).`,
    '',
    '**Bars:**',
    '',
    ...barTable(results),
    END,
  ].join('\n');
}

/** Replaces the section between `start` and `end` in a Markdown file (the prose around it is kept), or appends it. */
export function replaceSection(path: string, start: string, end: string, section: string): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n\n';
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next = from !== -1 && to > from ? `${current.slice(0, from)}${section}${current.slice(to + end.length)}` : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}

/** Regenerates the results section of BENCHMARKS.md. */
export function writeBenchmarksMarkdown(path: string, results: BenchResults): void {
  replaceSection(path, START, END, resultsSection(results));
}
