import type { FastifyInstance } from 'fastify';
import type { JobService } from '../../../domain/job-service.ts';
import type { ModelResolver } from '../../../domain/model-resolution.ts';
import type { CallPipeline } from '../../../gateway/call-pipeline.ts';
import type { StreamGauge } from '../../../observability/stream-gauge.ts';
import type { RouteRegistry } from '../../route-registry.ts';
import { registerChatCompletionsRoute } from './chat-completions-routes.ts';
import { registerEmbeddingsRoute } from './embeddings-routes.ts';
import { registerModelsRoutes } from './models-routes.ts';

export interface V1Dependencies {
  pipeline: CallPipeline;
  jobs: JobService;
  resolver: Pick<ModelResolver, 'callableModelGroups'>;
  /** `: keepalive` interval while a stream waits for the upstream's first byte. */
  keepaliveMs: number;
  streams: StreamGauge;
}

/**
 * The OpenAI-compatible surface (`/v1`, 02-client-api.md): chat completions, models, embeddings, for
 * OpenAI SDKs, Instructor, LangChain and the Vercel AI SDK pointed at the gateway with a virtual key.
 */
export function registerV1Routes(app: FastifyInstance, registry: RouteRegistry, deps: V1Dependencies): void {
  registerChatCompletionsRoute(app, registry, deps);
  registerModelsRoutes(app, registry, deps);
  registerEmbeddingsRoute(app, registry, deps);
}
