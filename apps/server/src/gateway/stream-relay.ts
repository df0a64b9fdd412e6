import type { ChatUsage } from '@saas-llm/protocol';
import { UpstreamError } from '@saas-llm/providers';
import type { StreamEvent } from '@saas-llm/providers';
import { DomainError } from '../domain/errors.ts';
import type { AdmittedCall, CallPipeline, SettledCall } from './call-pipeline.ts';
import { usageFromReport } from './call-metering.ts';
import { contentErrors, validationRejection, type StructuredOutputSpec } from './structured-output.ts';
import { upstreamFailureToDomainError } from './upstream-failures.ts';

/** Where a stream goes: the client's socket, behind an interface so the gateway needs no Fastify. */
export interface StreamSink {
  /** Sends status 200 and the SSE headers, once. */
  open(): void;
  readonly opened: boolean;
  /** True once the client has gone away. */
  readonly closed: boolean;
  /** Writes at once; false means the socket buffer is full (then await `drain`). */
  write(data: Buffer | string): boolean;
  drain(): Promise<void>;
  end(): void;
}

export interface RelayOptions {
  /** Extra fields of the final frame, computed after settlement (create-and-call adds `costs`). */
  finalExtras?: (settled: SettledCall) => Promise<Record<string, unknown>>;
  keepaliveMs?: number;
  /**
   * Validate the streamed answer against a json_schema once the stream ends (`validate` on a stream). The
   * chunks are still forwarded as they arrive, so an invalid answer cannot be re-asked transparently: it is
   * recorded as a failed call and reported with an error frame after the final frame (decision 009).
   */
  validation?: StructuredOutputSpec | null;
}

const DONE = 'data: [DONE]\n\n';

/**
 * Relays an upstream stream to the client with zero buffering: each upstream frame is written as soon as
 * it is read (bytes unchanged but for the tenant-facing `model`); usage is read on the way; the gateway's
 * own final frame carries usage, call id, job id and metadata. Errors before the first chunk throw (the
 * route answers JSON; fallback already happened); after it they become an error frame and `[DONE]`.
 * A client that disconnects aborts the upstream, and the call is metered with what was streamed.
 */
export async function relayStream(pipeline: CallPipeline, call: AdmittedCall, sink: StreamSink, options: RelayOptions = {}): Promise<void> {
  let opened;
  try {
    opened = await pipeline.openStream(call, () => {
      sink.open();
      sink.write(': keepalive\n\n');
    }, options.keepaliveMs);
  } catch (error) {
    if (error instanceof DomainError) {
      await pipeline.settleFailure(call, error);
      if (!sink.opened) throw error;
      sink.write(errorFrame(error.code, error.message));
      sink.write(DONE);
      sink.end();
      return;
    }
    if (error instanceof UpstreamError && error.kind === 'cancelled') {
      const usage = await pipeline.streamUsage(call, null, '');
      await pipeline.settle(call, null, 'cancelled', usage, { code: 'cancelled', message: 'The client disconnected before the first chunk.' }, null, null);
      if (!sink.closed) sink.end();
      return;
    }
    await pipeline.settleFailure(call, new DomainError('internal_error', 'The call failed inside the gateway.'));
    throw error;
  }

  const { iterator, candidate, stream } = opened;
  const ttftMs = Math.round(performance.now() - call.started);
  sink.open();
  let reported: ChatUsage | null = null;
  let streamedText = '';
  let identity: { id: string; created: number } | null = null;
  let failure: DomainError | null = null;
  let cancelled = false;
  const validation = options.validation ?? null;
  // Only read (and parsed) when validating: choice 0's content and refusal, as the client assembles them.
  let answerText = '';
  let refusal = '';
  let next: IteratorResult<StreamEvent> = opened.first;
  try {
    while (!next.done) {
      const event = next.value;
      const usage = event.usage;
      if (usage) reported = usage;
      streamedText += event.text;
      const chunk = event.chunk;
      if (validation) {
        const delta = chunk.choices.find((choice) => choice.index === 0)?.delta;
        if (typeof delta?.content === 'string') answerText += delta.content;
        if (typeof delta?.refusal === 'string') refusal += delta.refusal;
      }
      identity ??= { id: chunk.id, created: chunk.created };
      // The upstream's usage-only chunk is replaced by the gateway's final frame.
      if (!(usage && chunk.choices.length === 0)) {
        if (!sink.write(event.withModel(call.requestedName))) await sink.drain();
      }
      if (sink.closed) {
        cancelled = true;
        stream.abort();
        break;
      }
      next = await iterator.next();
    }
  } catch (error) {
    if ((error instanceof UpstreamError && error.kind === 'cancelled') || sink.closed) cancelled = true;
    else failure = error instanceof UpstreamError ? upstreamFailureToDomainError(error, call.requestedName) : new DomainError('upstream_error', 'The upstream stream failed.');
  }

  const usage = await pipeline.streamUsage(call, reported ? usageFromReport(reported) : null, streamedText);
  // A refusal is passed through as it is (as on non-streaming calls): it is not an answer to validate.
  const validationErrors = validation && !failure && !cancelled && !(refusal && !answerText) ? contentErrors(validation, answerText) : [];
  const rejection = validation && validationErrors.length > 0 ? validationRejection(validation, validationErrors, 1) : null;
  const status = failure || rejection ? 'failed' : cancelled ? 'cancelled' : 'succeeded';
  const error = failure ? { code: failure.code, message: failure.message } : rejection ?? (cancelled ? { code: 'cancelled', message: 'The client disconnected during the stream.' } : null);
  const settled = await pipeline.settle(call, candidate, status, usage, error, ttftMs, { streamed_text: streamedText });
  if (sink.closed) return;
  if (failure) {
    sink.write(errorFrame(failure.code, failure.message));
  } else {
    const extras = options.finalExtras ? await options.finalExtras(settled) : {};
    const final = {
      id: identity?.id ?? `chatcmpl-${call.callId}`,
      object: 'chat.completion.chunk',
      created: identity?.created ?? Math.floor(Date.now() / 1000),
      model: call.requestedName,
      choices: [],
      usage: { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.totalTokens,
        ...(usage.cachedTokens > 0 ? { prompt_tokens_details: { cached_tokens: usage.cachedTokens } } : {}) },
      call_id: call.callId,
      job_id: call.jobId,
      metadata: { ...settled.metadata, usage_source: usage.source, ...(validation ? { structured_attempts: 1 } : {}) },
      ...extras,
    };
    sink.write(`data: ${JSON.stringify(final)}\n\n`);
    if (rejection) sink.write(errorFrame(rejection.code, rejection.message, { errors: validationErrors, attempts: 1 }));
  }
  sink.write(DONE);
  sink.end();
}

function errorFrame(code: string, message: string, extra: Record<string, unknown> = {}): string {
  return `data: ${JSON.stringify({ error: { type: code, code, message, ...extra } })}\n\n`;
}
