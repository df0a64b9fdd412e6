import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatCompletionRequest, EmbeddingsRequest } from '@saas-llm/protocol';
import { CallDeadline } from './call-deadline.ts';
import { ChunkEvent } from './chunk-event.ts';
import { completionFromPlan, planChunk, planCompletion, type CompletionPlan } from './mock-completion.ts';
import { approximateTokens } from './mock-tokens.ts';
import {
  resolveTimeouts, type CallOptions, type CompletionResult, type DeploymentTarget, type EmbeddingsResult, type ProviderAdapter,
  type StreamEvent, type UpstreamStream,
} from './provider-adapter.ts';
import { UpstreamCancelledError, UpstreamConnectionError, UpstreamError } from './upstream-error.ts';
import { errorFromResponse } from './upstream-error-mapping.ts';

/**
 * The mock's knobs, read from `DeploymentTarget.settings` (snake_case, as operators type them):
 * - `ttft_ms` (0): delay before the first token; `tokens_per_second` (0 = instant): pace of the rest.
 * - `response`: a fixed answer text instead of the composed one.
 * - `fail_first_n` (0) with `fail_status` (503; 0 = a connection error) and `fail_retry_after_s`: the
 *   first N calls of this deployment fail before any byte, as that upstream error.
 * - `invalid_json_first_n` (0): the first N answers to `json_schema` requests violate the schema.
 * - `fail_mid_stream_first_n` (0) with `fail_mid_stream_after_tokens` (2): the first N streams break
 *   (connection reset) after that many tokens.
 * - `omit_usage` (false): report no usage, like an upstream that gives none.
 * - `embedding_dimensions` (16): vector size when the request names no `dimensions`.
 * Counting is per deployment (`deploymentId`, else model id) and per adapter instance.
 */
export interface MockSettings {
  ttftMs: number;
  tokensPerSecond: number;
  response: string | null;
  failFirstN: number;
  failStatus: number;
  failRetryAfterS: number | null;
  invalidJsonFirstN: number;
  failMidStreamFirstN: number;
  failMidStreamAfterTokens: number;
  omitUsage: boolean;
  embeddingDimensions: number;
}

function readSettings(settings: Record<string, unknown>): MockSettings {
  const count = (key: string, fallback: number): number => {
    const value = settings[key];
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
  };
  return {
    ttftMs: count('ttft_ms', 0),
    tokensPerSecond: count('tokens_per_second', 0),
    response: typeof settings.response === 'string' ? settings.response : null,
    failFirstN: count('fail_first_n', 0),
    failStatus: count('fail_status', 503),
    failRetryAfterS: typeof settings.fail_retry_after_s === 'number' ? settings.fail_retry_after_s : null,
    invalidJsonFirstN: count('invalid_json_first_n', 0),
    failMidStreamFirstN: count('fail_mid_stream_first_n', 0),
    failMidStreamAfterTokens: count('fail_mid_stream_after_tokens', 2),
    omitUsage: settings.omit_usage === true,
    embeddingDimensions: Math.max(1, Math.min(4096, count('embedding_dimensions', 16))),
  };
}

/** How many calls of each kind a deployment has served, for the `…_first_n` scripts. */
interface CallCounters {
  calls: number;
  jsonSchemaCalls: number;
  streams: number;
}

/**
 * The embedded default provider: deterministic answers (same request, same answer), no network. Timing
 * and faults are scripted per deployment through `settings` (see `MockSettings`), so the gateway's own
 * tests can drive retries, fallback, timeouts and structured-output re-asks without a fake server.
 */
export class MockAdapter implements ProviderAdapter {
  readonly provider = 'mock' as const;
  private readonly counters = new Map<string, CallCounters>();

  async complete(request: ChatCompletionRequest, target: DeploymentTarget, options?: CallOptions): Promise<CompletionResult> {
    const settings = readSettings(target.settings);
    const deadline = new CallDeadline(resolveTimeouts(target, options), options?.signal, { watchFirstByte: false });
    try {
      const plan = this.begin(request, target, settings, false);
      const tokenCount = plan.choices.reduce((sum, choice) => sum + choice.contentTokens.length + choice.argumentTokens.length, 0);
      const delay = settings.ttftMs + (settings.tokensPerSecond > 0 ? (tokenCount * 1000) / settings.tokensPerSecond : 0);
      if (delay > 0) await sleep(delay, undefined, { signal: deadline.signal });
      const completion = completionFromPlan(plan);
      if (settings.omitUsage) delete completion.usage;
      return { completion, usage: settings.omitUsage ? null : plan.usage, status: 200, headers: { 'content-type': 'application/json' }, droppedParams: [] };
    } catch (error) {
      throw deadline.failure ?? error;
    } finally {
      deadline.dispose();
    }
  }

  async stream(request: ChatCompletionRequest, target: DeploymentTarget, options?: CallOptions): Promise<UpstreamStream> {
    const settings = readSettings(target.settings);
    const plan = this.begin(request, target, settings, true);
    const counters = this.countersOf(target);
    const breakAfter = counters.streams <= settings.failMidStreamFirstN ? settings.failMidStreamAfterTokens : null;
    const deadline = new CallDeadline(resolveTimeouts(target, options), options?.signal, { watchFirstByte: true });
    let iterated = false;
    const events = (): AsyncGenerator<StreamEvent, void, undefined> => mockEvents(plan, settings, deadline, breakAfter);
    return {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      droppedParams: [],
      abort: (reason?: Error) => deadline.abort(reason instanceof UpstreamError ? reason : new UpstreamCancelledError({ cause: reason })),
      [Symbol.asyncIterator]: () => {
        if (iterated) throw new Error('An UpstreamStream can be iterated only once');
        iterated = true;
        return events();
      },
    };
  }

  async embed(request: EmbeddingsRequest, target: DeploymentTarget, options?: CallOptions): Promise<EmbeddingsResult> {
    const settings = readSettings(target.settings);
    if (options?.signal?.aborted) throw new UpstreamCancelledError();
    this.failIfScripted(target, settings);
    const inputs = typeof request.input === 'string' ? [request.input] : request.input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
    const dimensions = request.dimensions ?? settings.embeddingDimensions;
    const data = inputs.map((input, index) => {
      const vector = unitVector(`${target.model}|${input}`, dimensions);
      const embedding = request.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
      return { object: 'embedding' as const, index, embedding };
    });
    const tokens = inputs.reduce((sum, input) => sum + approximateTokens(input), 0);
    return {
      response: { object: 'list', data, model: target.model, usage: { prompt_tokens: tokens, total_tokens: tokens } },
      status: 200,
      headers: { 'content-type': 'application/json' },
    };
  }

  /** Counts the call, applies `fail_first_n` and `invalid_json_first_n`, and plans the answer. */
  private begin(request: ChatCompletionRequest, target: DeploymentTarget, settings: MockSettings, stream: boolean): CompletionPlan {
    const counters = this.failIfScripted(target, settings);
    if (stream) counters.streams++;
    let violateSchema = false;
    if (request.response_format?.type === 'json_schema') {
      counters.jsonSchemaCalls++;
      violateSchema = counters.jsonSchemaCalls <= settings.invalidJsonFirstN;
    }
    return planCompletion(request, target.model, { fixedText: settings.response, violateSchema });
  }

  private failIfScripted(target: DeploymentTarget, settings: MockSettings): CallCounters {
    const counters = this.countersOf(target);
    counters.calls++;
    if (counters.calls <= settings.failFirstN) {
      const note = `Mock failure ${counters.calls} of ${settings.failFirstN} (scripted by fail_first_n).`;
      if (settings.failStatus === 0) throw new UpstreamConnectionError(note);
      const headers = settings.failRetryAfterS === null ? {} : { 'retry-after': String(settings.failRetryAfterS) };
      throw errorFromResponse(settings.failStatus, headers, JSON.stringify({ error: { message: note, type: 'mock_error', code: null, param: null } }), { apiKey: null, host: null });
    }
    return counters;
  }

  private countersOf(target: DeploymentTarget): CallCounters {
    const key = target.deploymentId ?? target.model;
    let counters = this.counters.get(key);
    if (counters === undefined) {
      counters = { calls: 0, jsonSchemaCalls: 0, streams: 0 };
      this.counters.set(key, counters);
    }
    return counters;
  }
}

/** A deterministic unit vector for a text. */
function unitVector(seed: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${seed}#${block}`).digest();
    for (let offset = 0; offset + 2 <= digest.length && values.length < dimensions; offset += 2) values.push(digest.readUInt16LE(offset) / 32768 - 1);
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((value) => Number((value / norm).toFixed(6)));
}

/**
 * The stream of a plan: a role chunk after `ttft_ms`, one chunk per token at `tokens_per_second`, a
 * final chunk per choice with its `finish_reason`, and the usage chunk (`choices: []`) — always, since
 * adapters request usage from every upstream, unless `omit_usage`.
 */
async function* mockEvents(plan: CompletionPlan, settings: MockSettings, deadline: CallDeadline, breakAfter: number | null): AsyncGenerator<StreamEvent, void, undefined> {
  const gapMs = settings.tokensPerSecond > 0 ? 1000 / settings.tokensPerSecond : 0;
  let sent = 0;
  const pause = async (ms: number): Promise<void> => {
    if (ms > 0) await sleep(ms, undefined, { signal: deadline.signal });
    else if (deadline.signal.aborted) throw deadline.failure;
  };
  const emit = (chunk: Parameters<typeof ChunkEvent.fromChunk>[0]): StreamEvent => {
    deadline.markProgress();
    return ChunkEvent.fromChunk(chunk);
  };
  try {
    await pause(settings.ttftMs);
    for (const [index, choice] of plan.choices.entries()) {
      const opening = choice.toolCall === null
        ? { role: 'assistant' as const, content: '' }
        : { role: 'assistant' as const, content: null, tool_calls: [{ index: 0, ...choice.toolCall }] };
      yield emit(planChunk(plan, [{ index, delta: opening, logprobs: null, finish_reason: null }], null));
      const tokens = choice.toolCall === null ? choice.contentTokens : choice.argumentTokens;
      for (const token of tokens) {
        if (breakAfter !== null && sent >= breakAfter) throw new UpstreamConnectionError('The connection to the upstream was closed unexpectedly.');
        await pause(gapMs);
        const delta = choice.toolCall === null ? { content: token } : { tool_calls: [{ index: 0, function: { arguments: token } }] };
        yield emit(planChunk(plan, [{ index, delta, logprobs: null, finish_reason: null }], null));
        sent++;
      }
      yield emit(planChunk(plan, [{ index, delta: {}, logprobs: null, finish_reason: choice.finishReason }], null));
    }
    if (!settings.omitUsage) yield emit(planChunk(plan, [], plan.usage));
  } catch (error) {
    throw deadline.failure ?? error;
  } finally {
    deadline.dispose();
  }
}
