import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HEADERS, chatCompletionSchema, llmCallRequestSchema, type LlmCallRequest } from '@saas-llm/protocol';
import { DomainError } from '../../../domain/errors.ts';
import type { JobService } from '../../../domain/job-service.ts';
import type { AdmittedCall, CallPipeline } from '../../../gateway/call-pipeline.ts';
import { relayStream } from '../../../gateway/stream-relay.ts';
import { completeInJob, structuredOutputSpec } from '../../../gateway/structured-output.ts';
import type { StreamGauge } from '../../../observability/stream-gauge.ts';
import { timingHeader } from '../../plugins/request-context.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { SseSink } from '../../sse-sink.ts';
import { clientDisconnectSignal, upstreamMs } from '../client/llm-call-routes.ts';
import { keyOf } from '../client/team-scope.ts';
import { closeAutomaticJob, jobForCall, runInJob, withRetryHint, type V1Job } from './v1-job-association.ts';

export interface ChatCompletionsDependencies {
  pipeline: CallPipeline;
  jobs: JobService;
  keepaliveMs: number;
  streams: StreamGauge;
}

/**
 * `POST /v1/chat/completions` for unchanged OpenAI-SDK code: the job API's call (same admission, fallback,
 * metering, credits, `validate`) with the job taken from `x-job-id` or opened for the call. The answer is the
 * plain `chat.completion` (or its SSE stream); gateway facts travel in headers: `x-job-id`, `x-call-id`, and
 * `x-structured-attempts` (also a top-level `structured_attempts`) when validated.
 */
export function registerChatCompletionsRoute(app: FastifyInstance, registry: RouteRegistry, deps: ChatCompletionsDependencies): void {
  async function nonStream(request: FastifyRequest, reply: FastifyReply, body: LlmCallRequest, job: V1Job) {
    const admitted: AdmittedCall[] = [];
    try {
      const answer = await runInJob(request, reply, deps.jobs, job, () => completeInJob(deps.pipeline, body, {
        jobId: job.jobId, key: keyOf(request), signal: clientDisconnectSignal(request, reply),
        onAdmitted: (call) => {
          admitted.push(call);
          reply.header(HEADERS.callId, call.callId);
        },
      }));
      if (answer.structuredAttempts === null) return answer.completion;
      reply.header(HEADERS.structuredAttempts, String(answer.structuredAttempts));
      return { ...answer.completion, structured_attempts: answer.structuredAttempts };
    } catch (error) {
      if (error instanceof DomainError && error.code === 'validation_failed') reply.header(HEADERS.structuredAttempts, String(error.extra.attempts));
      throw error;
    } finally {
      request.upstreamMs = admitted.reduce((sum, call) => sum + upstreamMs(call), 0);
    }
  }

  async function stream(request: FastifyRequest, reply: FastifyReply, body: LlmCallRequest, job: V1Job) {
    const validation = structuredOutputSpec(body, deps.pipeline);
    let call: AdmittedCall;
    try {
      call = await deps.pipeline.admit(job.jobId, keyOf(request), body, true, clientDisconnectSignal(request, reply));
    } catch (error) {
      await closeAutomaticJob(request, deps.jobs, job, { succeeded: false, error: error instanceof Error ? error.message : 'The call failed.' });
      throw withRetryHint(error);
    }
    const sink = new SseSink(reply.raw, () => ({
      [HEADERS.requestId]: request.id,
      [HEADERS.jobId]: job.jobId,
      [HEADERS.callId]: call.callId,
      [HEADERS.serverTiming]: timingHeader(request.startedAt, upstreamMs(call)),
      // A stream is never re-asked (decision 009): it is always one validation round.
      ...(validation ? { [HEADERS.structuredAttempts]: '1' } : {}),
    }), deps.streams);
    let jobClosed = !job.automatic;
    try {
      await relayStream(deps.pipeline, call, sink, {
        keepaliveMs: deps.keepaliveMs,
        validation,
        // The automatic job is closed (and charged) before [DONE], so a client reading it afterwards sees it final.
        finalExtras: async (settled) => {
          const record = settled.record;
          await closeAutomaticJob(request, deps.jobs, job, record.status === 'succeeded' ? { succeeded: true } : { succeeded: false, error: record.error?.message ?? 'The call failed.' });
          jobClosed = true;
          return {};
        },
      });
    } catch (error) {
      request.upstreamMs = upstreamMs(call);
      if (!jobClosed) {
        jobClosed = true;
        await closeAutomaticJob(request, deps.jobs, job, { succeeded: false, error: error instanceof Error ? error.message : 'The call failed.' });
      }
      throw withRetryHint(error); // nothing was sent yet: the error handler answers JSON
    } finally {
      // Streams that ended without a final frame (client gone, upstream failure mid-stream, failure before the first chunk).
      if (!jobClosed) await closeAutomaticJob(request, deps.jobs, job, { succeeded: false, error: 'The stream did not complete.' });
    }
    request.upstreamMs = upstreamMs(call);
    reply.hijack();
    return reply;
  }

  defineRoute(app, registry, {
    method: 'POST', url: '/v1/chat/completions', tag: 'openai-compatible', auth: 'virtual_key', body: llmCallRequestSchema, response: chatCompletionSchema,
    summary: 'OpenAI chat completions (`stream: true` answers SSE); job from `x-job-id`, else a single-call job of type `x-job-type` (default `api`)',
    handler: async ({ body, request, reply }) => {
      // A body the gateway will refuse opens no job: validate options are checked first.
      structuredOutputSpec(body, deps.pipeline);
      const job = await jobForCall(request, reply, deps.jobs, body.user ?? null);
      // `return await`: returning the promise itself from an async function costs two more microtask turns.
      return await (body.stream ? stream(request, reply, body, job) : nonStream(request, reply, body, job));
    },
  });
}
