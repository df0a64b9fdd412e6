import type { FastifyInstance } from 'fastify';
import { HEADERS, embeddingsRequestSchema, embeddingsResponseSchema } from '@saas-llm/protocol';
import type { JobService } from '../../../domain/job-service.ts';
import type { AdmittedCall, CallPipeline } from '../../../gateway/call-pipeline.ts';
import type { EmbeddingsRequest } from '@saas-llm/protocol';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { clientDisconnectSignal, upstreamMs } from '../client/llm-call-routes.ts';
import { keyOf } from '../client/team-scope.ts';
import { jobForCall, runInJob } from './v1-job-association.ts';

/**
 * `POST /v1/embeddings`: for model groups whose deployments can embed (the others are skipped at
 * resolution; none left is 503). Metered on prompt tokens, in a job like every call.
 */
export function registerEmbeddingsRoute(app: FastifyInstance, registry: RouteRegistry, deps: { pipeline: CallPipeline; jobs: JobService }): void {
  defineRoute(app, registry, {
    method: 'POST', url: '/v1/embeddings', tag: 'openai-compatible', auth: 'virtual_key', body: embeddingsRequestSchema, response: embeddingsResponseSchema,
    summary: 'OpenAI embeddings; job from `x-job-id`, else a single-call job of type `x-job-type` (default `api`)',
    handler: async ({ body, request, reply }) => {
      const job = await jobForCall(request, reply, deps.jobs, body.user ?? null);
      let call: AdmittedCall<EmbeddingsRequest> | null = null;
      try {
        return await runInJob(request, reply, deps.jobs, job, async () => {
          call = await deps.pipeline.admitEmbeddings(job.jobId, keyOf(request), body, clientDisconnectSignal(request, reply));
          reply.header(HEADERS.callId, call.callId);
          return (await deps.pipeline.embed(call)).response;
        });
      } finally {
        if (call) request.upstreamMs = upstreamMs(call);
      }
    },
  });
}
