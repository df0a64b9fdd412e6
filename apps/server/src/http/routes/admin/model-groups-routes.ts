import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  forceQuerySchema, modelGroupCreateSchema, modelGroupMembersSchema, modelGroupParamsSchema, modelGroupUpdateSchema, modelGroupViewSchema,
  resolutionViewSchema, resolveQuerySchema, teamModelGroupViewSchema,
} from '@saas-llm/protocol';
import type { ModelGroupService } from '../../../domain/model-group-service.ts';
import type { ModelResolver } from '../../../domain/model-resolution.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { modelGroupView, resolutionView, teamModelGroupView } from './catalog-views.ts';

const TAG = 'model groups';
const RESOURCE = 'model_group';
const deletedSchema = z.object({ deleted: z.literal(true), name: z.string() });

/** `/api/model-groups`: the names tenants call, their members, and the resolution dry run. */
export function registerModelGroupRoutes(app: FastifyInstance, registry: RouteRegistry, deps: { modelGroups: ModelGroupService; resolver: ModelResolver }): void {
  const { modelGroups, resolver } = deps;
  defineRoute(app, registry, {
    method: 'GET', url: '/api/model-groups', tag: TAG, auth: 'admin_or_key',
    summary: 'List model groups: every group with its members for an admin; with a virtual key, only the groups that team may call (name, display_name, description)',
    response: z.union([z.array(modelGroupViewSchema), z.array(teamModelGroupViewSchema)]),
    handler: async ({ request }) => {
      const principal = request.principal;
      if (principal?.kind === 'team') {
        // Served from the resolver's memory: a team's listing costs no database round trip either.
        return (await resolver.callableModelGroups(principal.key.teamId, principal.key.allowedModelGroups)).map(teamModelGroupView);
      }
      return (await modelGroups.list()).map(modelGroupView);
    },
  });
  for (const url of ['/api/model-groups/create', '/api/model-groups']) {
    defineRoute(app, registry, {
      method: 'POST', url, summary: 'Create a model group', tag: TAG, auth: 'admin', resourceType: RESOURCE,
      body: modelGroupCreateSchema, response: modelGroupViewSchema,
      handler: async ({ body }) => modelGroupView(await modelGroups.create(body)),
    });
  }
  defineRoute(app, registry, {
    method: 'GET', url: '/api/model-groups/:name', summary: 'Show a model group with its members', tag: TAG, auth: 'admin',
    params: modelGroupParamsSchema, response: modelGroupViewSchema,
    handler: async ({ params }) => modelGroupView(await modelGroups.get(params.name)),
  });
  defineRoute(app, registry, {
    method: 'PUT', url: '/api/model-groups/:name', summary: 'Update a model group (not its members: see …/models)', tag: TAG, auth: 'admin', resourceType: RESOURCE,
    params: modelGroupParamsSchema, body: modelGroupUpdateSchema, response: modelGroupViewSchema,
    handler: async ({ params, body }) => modelGroupView(await modelGroups.update(params.name, body)),
  });
  defineRoute(app, registry, {
    method: 'PUT', url: '/api/model-groups/:name/models', summary: 'Replace the members of a model group', tag: TAG, auth: 'admin', resourceType: RESOURCE,
    params: modelGroupParamsSchema, body: modelGroupMembersSchema, response: modelGroupViewSchema,
    handler: async ({ params, body }) => modelGroupView(await modelGroups.replaceMembers(params.name, body.members)),
  });
  defineRoute(app, registry, {
    method: 'DELETE', url: '/api/model-groups/:name', summary: 'Delete a model group (refused while access groups grant it, unless ?force=true)', tag: TAG, auth: 'admin', resourceType: RESOURCE,
    params: modelGroupParamsSchema, query: forceQuerySchema, response: deletedSchema,
    handler: async ({ params, query }) => {
      await modelGroups.delete(params.name, query.force === 'true');
      return { deleted: true, name: params.name };
    },
  });
  defineRoute(app, registry, {
    method: 'GET', url: '/api/model-groups/:name/resolve', tag: TAG, auth: 'admin',
    summary: 'Dry run of resolution: the candidates in the order they would be tried, and why each other member is skipped',
    params: modelGroupParamsSchema, query: resolveQuerySchema, response: resolutionViewSchema,
    handler: async ({ params, query }) => {
      const teamId = query.team_id ?? null;
      const resolution = await resolver.resolve(params.name, teamId, {
        tools: query.tools, json_schema: query.json_schema, vision: query.vision, embeddings: query.embeddings,
        promptTokens: query.prompt_tokens, maxOutputTokens: query.max_output_tokens,
      });
      return resolutionView(resolution, teamId);
    },
  });
}
