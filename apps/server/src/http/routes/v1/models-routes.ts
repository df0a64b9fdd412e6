import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { modelListSchema, slugSchema } from '@saas-llm/protocol';
import { DomainError } from '../../../domain/errors.ts';
import type { CallableModelGroup, ModelResolver } from '../../../domain/model-resolution.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { keyOf } from '../client/team-scope.ts';

const modelParamsSchema = z.object({ model: slugSchema });
const OWNER = 'saas-llm';

/**
 * An OpenAI `model` object for a model group. `created` is 0: the gateway does not publish catalog
 * timestamps, and nothing in the OpenAI SDKs reads it.
 */
function modelObject(group: CallableModelGroup) {
  return { id: group.name, object: 'model' as const, created: 0, owned_by: OWNER, display_name: group.displayName, description: group.description };
}

/** `GET /v1/models` and `GET /v1/models/{id}`: the model groups the key's team may call, as OpenAI model ids. */
export function registerModelsRoutes(app: FastifyInstance, registry: RouteRegistry, deps: { resolver: Pick<ModelResolver, 'callableModelGroups'> }): void {
  const callable = (key: ReturnType<typeof keyOf>) => deps.resolver.callableModelGroups(key.teamId, key.allowedModelGroups);

  defineRoute(app, registry, {
    method: 'GET', url: '/v1/models', tag: 'openai-compatible', auth: 'virtual_key', response: modelListSchema,
    summary: "The model groups this key's team may call, as an OpenAI model list (nothing about providers)",
    handler: async ({ request }) => ({ object: 'list', data: (await callable(keyOf(request))).map(modelObject) }),
  });

  defineRoute(app, registry, {
    method: 'GET', url: '/v1/models/:model', tag: 'openai-compatible', auth: 'virtual_key', params: modelParamsSchema,
    summary: 'One callable model group as an OpenAI model object; 404 for names the team may not call (as if they did not exist)',
    handler: async ({ params, request }) => {
      const group = (await callable(keyOf(request))).find((candidate) => candidate.name === params.model);
      if (!group) throw new DomainError('model_not_found', `Model '${params.model}' was not found.`, 'model');
      return modelObject(group);
    },
  });
}
