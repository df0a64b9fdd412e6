import type { FastifyInstance } from 'fastify';
import {
  forceQuerySchema, organizationCreateSchema, organizationListSchema, organizationParamsSchema, organizationSchema, organizationUpdateSchema,
  organizationUsageQuerySchema, organizationUsageSchema, teamSchema,
} from '@saas-llm/protocol';
import { z } from 'zod';
import type { OrganizationService } from '../../../domain/organizations.ts';
import type { TeamService } from '../../../domain/teams.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { organizationJson, organizationUsageJson, teamJson } from './tenancy-json.ts';

export interface OrganizationRouteDependencies {
  organizations: OrganizationService;
  teams: TeamService;
}

const tag = 'organizations';

/** `/api/organizations…` of 04-admin-api.md (admin only). */
export function registerOrganizationRoutes(app: FastifyInstance, registry: RouteRegistry, deps: OrganizationRouteDependencies): void {
  defineRoute(app, registry, {
    method: 'GET', url: '/api/organizations', summary: 'List organizations', tag, auth: 'admin', response: organizationListSchema,
    handler: async () => ({ organizations: (await deps.organizations.list()).map(organizationJson) }),
  });
  // The Python original's path and the plain REST form.
  for (const url of ['/api/organizations/create', '/api/organizations']) {
    defineRoute(app, registry, {
      method: 'POST', url, summary: 'Create an organization', tag, auth: 'admin', body: organizationCreateSchema, response: organizationSchema,
      handler: async ({ body }) => organizationJson(await deps.organizations.create({
        organizationId: body.organization_id, name: body.name, status: body.status ?? 'active', metadata: body.metadata ?? {},
      })),
    });
  }
  defineRoute(app, registry, {
    method: 'GET', url: '/api/organizations/:organization_id', summary: 'Show an organization', tag, auth: 'admin',
    params: organizationParamsSchema, response: organizationSchema,
    handler: async ({ params }) => organizationJson(await deps.organizations.get(params.organization_id)),
  });
  defineRoute(app, registry, {
    method: 'PUT', url: '/api/organizations/:organization_id', summary: 'Change an organization (name, status, metadata)', tag, auth: 'admin',
    params: organizationParamsSchema, body: organizationUpdateSchema, response: organizationSchema,
    handler: async ({ params, body }) => organizationJson(await deps.organizations.update(params.organization_id, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.status !== undefined ? { status: body.status } : {}),
      ...(body.metadata !== undefined ? { metadata: body.metadata } : {}),
    })),
  });
  defineRoute(app, registry, {
    method: 'DELETE', url: '/api/organizations/:organization_id',
    summary: 'Delete an organization (soft; one with teams or jobs needs ?force=true, which deletes its teams too)', tag, auth: 'admin',
    params: organizationParamsSchema, query: forceQuerySchema,
    response: z.object({ organization_id: z.string(), deleted: z.literal(true), deleted_at: z.string(), deleted_teams: z.array(z.string()) }),
    handler: async ({ params, query }) => {
      const deleted = await deps.organizations.delete(params.organization_id, query.force === 'true');
      return { organization_id: deleted.organizationId, deleted: true, deleted_at: deleted.deletedAt.toISOString(), deleted_teams: deleted.teamIds };
    },
  });
  defineRoute(app, registry, {
    method: 'GET', url: '/api/organizations/:organization_id/teams', summary: "An organization's teams", tag, auth: 'admin',
    params: organizationParamsSchema, response: z.object({ organization_id: z.string(), teams: z.array(teamSchema) }),
    handler: async ({ params }) => {
      await deps.organizations.get(params.organization_id);
      const teams = await deps.teams.list({ organizationId: params.organization_id });
      return { organization_id: params.organization_id, teams: teams.map(teamJson) };
    },
  });
  defineRoute(app, registry, {
    method: 'GET', url: '/api/organizations/:organization_id/usage', summary: "Usage of an organization's jobs (by status and team)", tag, auth: 'admin',
    params: organizationParamsSchema, query: organizationUsageQuerySchema, response: organizationUsageSchema,
    handler: async ({ params, query }) => {
      const range = { from: query.from ? new Date(query.from) : null, to: query.to ? new Date(query.to) : null };
      return organizationUsageJson(params.organization_id, range, await deps.organizations.usage(params.organization_id, range));
    },
  });
}
