import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { deploymentCreateSchema, deploymentParamsSchema, deploymentUpdateSchema, deploymentViewSchema, forceQuerySchema } from '@saas-llm/protocol';
import type { DeploymentService } from '../../../domain/deployment-service.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { deploymentView } from './catalog-views.ts';

const TAG = 'deployments';
const RESOURCE = 'deployment';
const deletedSchema = z.object({ deleted: z.literal(true), alias: z.string() });

/** `/api/models`: deployments (model aliases), prices in USD per 1M tokens. */
export function registerDeploymentRoutes(app: FastifyInstance, registry: RouteRegistry, deps: { deployments: DeploymentService }): void {
  const { deployments } = deps;
  defineRoute(app, registry, {
    method: 'GET', url: '/api/models', summary: 'List deployments (model aliases)', tag: TAG, auth: 'admin',
    response: z.array(deploymentViewSchema),
    handler: async () => (await deployments.list()).map(deploymentView),
  });
  for (const url of ['/api/models/create', '/api/models']) {
    defineRoute(app, registry, {
      method: 'POST', url, summary: 'Create a deployment', tag: TAG, auth: 'admin', resourceType: RESOURCE,
      body: deploymentCreateSchema, response: deploymentViewSchema,
      handler: async ({ body }) => deploymentView(await deployments.create(body)),
    });
  }
  defineRoute(app, registry, {
    method: 'GET', url: '/api/models/:alias', summary: 'Show a deployment', tag: TAG, auth: 'admin',
    params: deploymentParamsSchema, response: deploymentViewSchema,
    handler: async ({ params }) => deploymentView(await deployments.get(params.alias)),
  });
  defineRoute(app, registry, {
    method: 'PUT', url: '/api/models/:alias', summary: 'Update a deployment', tag: TAG, auth: 'admin', resourceType: RESOURCE,
    params: deploymentParamsSchema, body: deploymentUpdateSchema, response: deploymentViewSchema,
    handler: async ({ params, body }) => deploymentView(await deployments.update(params.alias, body)),
  });
  defineRoute(app, registry, {
    method: 'DELETE', url: '/api/models/:alias', summary: 'Delete a deployment (refused while groups use it, unless ?force=true)', tag: TAG, auth: 'admin', resourceType: RESOURCE,
    params: deploymentParamsSchema, query: forceQuerySchema, response: deletedSchema,
    handler: async ({ params, query }) => {
      await deployments.delete(params.alias, query.force === 'true');
      return { deleted: true, alias: params.alias };
    },
  });
}
