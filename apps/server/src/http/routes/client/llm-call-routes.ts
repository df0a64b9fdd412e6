import type { FastifyReply, FastifyRequest, FastifyInstance } from 'fastify';
import { HEADERS, jobCallParamsSchema, jobIdParamsSchema, llmCallRequestSchema, metadataSchema, slugSchema, type LlmCallRequest } from '@saas-llm/protocol';
import { z } from 'zod';
import { DomainError } from '../../../domain/errors.ts';
import type { JobService } from '../../../domain/job-service.ts';
import type { CallStore } from '../../../domain/calls.ts';
import { nanosToUsd } from '../../../domain/money.ts';
import type { AdmittedCall, CallPipeline, SettledCall } from '../../../gateway/call-pipeline.ts';
import { relayStream } from '../../../gateway/stream-relay.ts';
import { completeInJob, structuredOutputSpec } from '../../../gateway/structured-output.ts';
import { timingHeader } from '../../plugins/request-context.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { SseSink } from '../../sse-sink.ts';
import type { StreamGauge } from '../../../observability/stream-gauge.ts';
import { parseInput } from '../../validation.ts';
import { jobCosts } from './job-views.ts';
import { keyOf, scopedTeamId } from './team-scope.ts';

export interface LlmCallDependencies {
  pipeline: CallPipeline;
  jobs: JobService;
  calls: CallStore;
  /** `: keepalive` interval while waiting for the upstream's first byte. */
  keepaliveMs: number;
  streams: StreamGauge;
}

/** The create fields of `create-and-call`; the rest of the body is the call. */
const createAndCallFieldsSchema = z.object({
  team_id: slugSchema.optional(),
  job_type: z.string().min(1).max(100),
  user_id: z.string().max(200).nullable().optional(),
  job_metadata: metadataSchema.optional(),
});
const CREATE_FIELDS = ['team_id', 'job_type', 'user_id', 'job_metadata'];

/** Aborts the call when the client goes away before the response is finished (also used by `/v1`). */
export function clientDisconnectSignal(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client disconnected'));
  });
  request.raw.on('aborted', () => controller.abort(new Error('client disconnected')));
  return controller.signal;
}

/** Time spent waiting for upstreams in one call, for `server-timing`. */
export function upstreamMs(call: AdmittedCall<unknown>): number {
  return call.attempts.reduce((sum, attempt) => sum + attempt.durationMs, 0);
}

/** The calls of 02-client-api.md: llm-call (JSON or SSE), llm-call-stream, create-and-call(-stream), call reads. */
export function registerLlmCallRoutes(app: FastifyInstance, registry: RouteRegistry, deps: LlmCallDependencies): void {
  const tag = 'calls';

  async function nonStream(request: FastifyRequest, reply: FastifyReply, jobId: string, body: LlmCallRequest) {
    // With `validate`, one request may make several calls (re-asks): x-call-id names the last one.
    const admitted: AdmittedCall[] = [];
    try {
      const answer = await completeInJob(deps.pipeline, body, {
        jobId, key: keyOf(request), signal: clientDisconnectSignal(request, reply),
        onAdmitted: (call) => {
          admitted.push(call);
          reply.header(HEADERS.jobId, jobId).header(HEADERS.callId, call.callId);
        },
      });
      return { ...answer.completion, call_id: answer.call.callId, job_id: jobId, metadata: answer.metadata };
    } finally {
      request.upstreamMs = admitted.reduce((sum, call) => sum + upstreamMs(call), 0);
    }
  }

  async function stream(request: FastifyRequest, reply: FastifyReply, jobId: string, body: LlmCallRequest, finalExtras?: (settled: SettledCall) => Promise<Record<string, unknown>>) {
    const validation = structuredOutputSpec(body, deps.pipeline);
    const call = await deps.pipeline.admit(jobId, keyOf(request), body, true, clientDisconnectSignal(request, reply));
    const sink = new SseSink(reply.raw, () => ({
      [HEADERS.requestId]: request.id,
      [HEADERS.jobId]: jobId,
      [HEADERS.callId]: call.callId,
      [HEADERS.serverTiming]: timingHeader(request.startedAt, upstreamMs(call)),
    }), deps.streams);
    try {
      await relayStream(deps.pipeline, call, sink, { keepaliveMs: deps.keepaliveMs, validation, ...(finalExtras ? { finalExtras } : {}) });
    } catch (error) {
      request.upstreamMs = upstreamMs(call);
      throw error; // nothing was sent yet: the error handler answers JSON
    }
    request.upstreamMs = upstreamMs(call);
    reply.hijack();
    return reply;
  }

  const callBody = llmCallRequestSchema;
  defineRoute(app, registry, {
    method: 'POST', url: '/api/jobs/:job_id/llm-call', summary: 'An LLM call in a job (OpenAI chat.completion; `stream: true` answers SSE)', tag,
    auth: 'virtual_key', params: jobIdParamsSchema, body: callBody,
    // Not async: an async function that returns a promise costs extra microtask turns per call.
    handler: ({ params, body, request, reply }) => (body.stream ? stream(request, reply, params.job_id, body) : nonStream(request, reply, params.job_id, body)),
  });
  defineRoute(app, registry, {
    method: 'POST', url: '/api/jobs/:job_id/llm-call-stream', summary: 'A streaming LLM call in a job (SSE of chat.completion.chunk)', tag,
    auth: 'virtual_key', params: jobIdParamsSchema, body: callBody,
    handler: ({ params, body, request, reply }) => stream(request, reply, params.job_id, body),
  });

  async function createAndCall(request: FastifyRequest, reply: FastifyReply, streaming: boolean) {
    const raw = (request.body ?? undefined) as Record<string, unknown> | undefined;
    const createFields = parseInput(createAndCallFieldsSchema, raw === undefined ? undefined : pick(raw, CREATE_FIELDS), 'body');
    const callFields = parseInput(llmCallRequestSchema, raw === undefined ? undefined : omit(raw, CREATE_FIELDS), 'body');
    const key = keyOf(request);
    const teamId = scopedTeamId(request, createFields.team_id);
    const job = await deps.jobs.create({ teamId, keyId: key.keyId, jobType: createFields.job_type, userId: createFields.user_id ?? null, metadata: createFields.job_metadata ?? {} });
    const actor = `key:${key.keyId}`;
    const closeAs = async (status: 'completed' | 'failed', errorMessage: string | null) => deps.jobs.complete(teamId, job.jobId, status, { errorMessage }, actor);
    if (streaming) {
      try {
        return await stream(request, reply, job.jobId, callFields, async (settled) => {
          const closed = await closeAs(settled.record.status === 'succeeded' ? 'completed' : 'failed', settled.record.error?.message ?? null);
          return { status: closed.job.status, completed_at: closed.job.completedAt?.toISOString() ?? null, costs: jobCosts(closed.job, closed.remainingMicro) };
        });
      } catch (error) {
        await closeAs('failed', error instanceof Error ? error.message : 'call failed');
        throw error;
      } finally {
        // A stream that ended without a final frame (client gone, error frame) still closes its job.
        const current = await deps.jobs.get(teamId, job.jobId);
        if (current.status === 'pending' || current.status === 'in_progress') await closeAs('failed', 'The stream did not complete.');
      }
    }
    try {
      const answer = await nonStream(request, reply, job.jobId, callFields);
      const closed = await closeAs('completed', null);
      return { ...answer, status: closed.job.status, completed_at: closed.job.completedAt?.toISOString() ?? null, costs: jobCosts(closed.job, closed.remainingMicro) };
    } catch (error) {
      await closeAs('failed', error instanceof Error ? error.message : 'call failed');
      throw error;
    }
  }

  defineRoute(app, registry, {
    method: 'POST', url: '/api/jobs/create-and-call', summary: 'Create a single-call job, make the call, complete and charge the job', tag, auth: 'virtual_key',
    handler: async ({ request, reply }) => createAndCall(request, reply, false),
  });
  defineRoute(app, registry, {
    method: 'POST', url: '/api/jobs/create-and-call-stream', summary: 'Streaming create-and-call; the final chunk carries the job costs', tag, auth: 'virtual_key',
    handler: async ({ request, reply }) => createAndCall(request, reply, true),
  });

  defineRoute(app, registry, {
    method: 'GET', url: '/api/jobs/:job_id/calls/:call_id', summary: 'One call with its request and response bodies', tag, auth: 'virtual_key', params: jobCallParamsSchema,
    handler: async ({ params, request }) => {
      const teamId = scopedTeamId(request);
      await deps.jobs.get(teamId, params.job_id);
      const call = await deps.calls.get(params.call_id);
      if (!call || call.jobId !== params.job_id) throw new DomainError('call_not_found', `Call '${params.call_id}' was not found.`);
      return {
        call_id: call.callId, job_id: call.jobId, model_group: call.modelGroup, purpose: call.purpose, status: call.status, stream: call.stream,
        attempts: call.attempts.length, prompt_tokens: call.promptTokens, completion_tokens: call.completionTokens, cached_tokens: call.cachedTokens,
        total_tokens: call.totalTokens, usage_source: call.usageSource, cost_usd: nanosToUsd(call.clientCostNanos), latency_ms: call.latencyMs,
        ttft_ms: call.ttftMs, error: call.error, request: call.requestBody, response: call.responseBody,
        created_at: call.createdAt.toISOString(), finished_at: call.finishedAt.toISOString(),
      };
    },
  });
}

function pick(source: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((field) => field in source).map((field) => [field, source[field]]));
}

function omit(source: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(source).filter(([field]) => !fields.includes(field)));
}
