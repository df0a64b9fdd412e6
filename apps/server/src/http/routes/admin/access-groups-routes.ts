import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  accessGroupCreateSchema, accessGroupModelsSchema, accessGroupParamsSchema, accessGroupUpdateSchema, accessGroupViewSchema, forceQuerySchema,
} from '@saas-llm/protocol';
import type { AccessGroupService } from '../../../domain/access-group-service.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { accessGroupView } from './catalog-views.ts';

const TAG = 'access groups';
const RESOURCE = 'access_group';
const deletedSchema = z.object({ deleted: z.literal(true), name: z.string() });

/** `/api/model-access-groups`: named sets of model groups and deployments that teams are granted. */
export function registerAccessGroupRoutes(app: FastifyInstance, registry: RouteRegistry, deps: { accessGroups: AccessGroupService }): void {
  const { accessGroups } = deps;
  defineRoute(app, registry, {
    method: 'GET', url: '/api/model-access-groups', summary: 'List access groups', tag: TAG, auth: 'admin',
    response: z.array(accessGroupViewSchema),
    handler: async () => (await accessGroups.list()).map(accessGroupView),
  });
  for (const url of ['/api/model-access-groups/create', '/api/model-access-groups']) {
    defineRoute(app, registry, {
      method: 'POST', url, summary: 'Create an access group', tag: TAG, auth: 'admin', resourceType: RESOURCE,
      body: accessGroupCreateSchema, response: accessGroupViewSchema,
      handler: async ({ body }) => accessGroupView(await accessGroups.create(body)),
    });
  }
  defineRoute(app, registry, {
    method: 'GET', url: '/api/model-access-groups/:name', summary: 'Show an access group', tag: TAG, auth: 'admin',
    params: accessGroupParamsSchema, response: accessGroupViewSchema,
    handler: async ({ params }) => accessGroupView(await accessGroups.get(params.name)),
  });
  defineRoute(app, registry, {
    method: 'PUT', url: '/api/model-access-groups/:name', summary: 'Update an access group (its description; members: see …/models)', tag: TAG, auth: 'admin', resourceType: RESOURCE,
    params: accessGroupParamsSchema, body: accessGroupUpdateSchema, response: accessGroupViewSchema,
    handler: async ({ params, body }) => accessGroupView(await accessGroups.updateDescription(params.name, body.description)),
  });
  defineRoute(app, registry, {
    method: 'PUT', url: '/api/model-access-groups/:name/models', tag: TAG, auth: 'admin', resourceType: RESOURCE,
    summary: 'Replace the members of an access group: each list given (model_groups, deployments) replaces that kind',
    params: accessGroupParamsSchema, body: accessGroupModelsSchema, response: accessGroupViewSchema,
    handler: async ({ params, body }) => accessGroupView(await accessGroups.replaceMembers(params.name, body)),
  });
  defineRoute(app, registry, {
    method: 'DELETE', url: '/api/model-access-groups/:name', summary: 'Delete an access group (refused while teams hold it, unless ?force=true)', tag: TAG, auth: 'admin', resourceType: RESOURCE,
    params: accessGroupParamsSchema, query: forceQuerySchema, response: deletedSchema,
    handler: async ({ params, query }) => {
      await accessGroups.delete(params.name, query.force === 'true');
      return { deleted: true, name: params.name };
    },
  });
}
