import type { FastifyInstance } from 'fastify';
import {
  createdTeamSchema, forceQuerySchema, teamAccessGroupsSchema, teamCreateSchema, teamListQuerySchema, teamListSchema, teamParamsSchema, teamSchema,
  teamSelfSchema, teamUpdateSchema, type TeamStatus,
} from '@saas-llm/protocol';
import { z } from 'zod';
import { creditsToMicro } from '../../../domain/money.ts';
import type { TeamLimits, TeamPatch, TeamService } from '../../../domain/teams.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { actorOf, assertOwnTeam, callerKey } from './team-scope.ts';
import { teamJson, teamSelfJson, virtualKeyJson } from './tenancy-json.ts';

export interface TeamRouteDependencies {
  teams: TeamService;
}

const tag = 'teams';

type LimitFields = { rpm_limit?: number | null; tpm_limit?: number | null; max_concurrent_calls?: number | null; max_open_jobs?: number | null };

/** Wire limit fields → domain; absent fields stay absent (unchanged on update). */
function limitsPatch(body: LimitFields): Partial<TeamLimits> {
  const limits: Partial<TeamLimits> = {};
  if (body.rpm_limit !== undefined) limits.rpmLimit = body.rpm_limit;
  if (body.tpm_limit !== undefined) limits.tpmLimit = body.tpm_limit;
  if (body.max_concurrent_calls !== undefined) limits.maxConcurrentCalls = body.max_concurrent_calls;
  if (body.max_open_jobs !== undefined) limits.maxOpenJobs = body.max_open_jobs;
  return limits;
}

/**
 * `/api/teams…` of 04-admin-api.md. `GET /api/teams` and `GET /api/teams/{id}` also answer a team's own
 * virtual key (02-client-api.md, "Reading"), with the tenant's view of the team — also while it is
 * suspended or paused.
 */
export function registerTeamRoutes(app: FastifyInstance, registry: RouteRegistry, deps: TeamRouteDependencies): void {
  defineRoute(app, registry, {
    method: 'GET', url: '/api/teams', summary: 'List teams (a virtual key sees its own team only)', tag, auth: 'admin_or_key',
    query: teamListQuerySchema, response: teamListSchema,
    handler: async ({ query, request }) => {
      const key = callerKey(request);
      if (key) return { teams: [teamSelfJson(await deps.teams.get(key.teamId), key)] };
      const teams = await deps.teams.list({
        ...(query.organization_id ? { organizationId: query.organization_id } : {}),
        ...(query.status ? { status: query.status } : {}),
      });
      return { teams: teams.map(teamJson) };
    },
  });
  for (const url of ['/api/teams/create', '/api/teams']) {
    defineRoute(app, registry, {
      method: 'POST', url, summary: 'Create a team with its access groups, opening credits and first virtual key (shown once)', tag, auth: 'admin',
      body: teamCreateSchema, response: createdTeamSchema,
      handler: async ({ body, request }) => {
        const created = await deps.teams.create({
          team: {
            teamId: body.team_id, organizationId: body.organization_id, name: body.name ?? body.team_id, status: body.status ?? 'active',
            costMarkupPercentage: body.cost_markup_percentage ?? 0, bodyLogging: body.body_logging ?? 'full', metadata: body.metadata ?? {},
            limits: { rpmLimit: null, tpmLimit: null, maxConcurrentCalls: null, maxOpenJobs: null, ...limitsPatch(body) },
            budgetMode: body.budget_mode ?? 'job_based', failedJobPolicy: body.failed_job_policy ?? 'free',
            creditsPerDollar: body.credits_per_dollar ?? 10, tokensPerCredit: body.tokens_per_credit ?? 10_000,
          },
          accessGroups: body.access_groups ?? [],
          initialCreditsMicro: creditsToMicro(body.credits_allocated ?? 0),
          firstKey: body.key_name ? { name: body.key_name } : {},
        }, actorOf(request));
        return { ...teamJson(created.team), virtual_key: created.rawKey, key: virtualKeyJson(created.key) };
      },
    });
  }
  defineRoute(app, registry, {
    method: 'GET', url: '/api/teams/:team_id', summary: 'Show a team (a virtual key: its own team only)', tag, auth: 'admin_or_key',
    params: teamParamsSchema, response: z.union([teamSchema, teamSelfSchema]),
    handler: async ({ params, request }) => {
      assertOwnTeam(request, params.team_id);
      const team = await deps.teams.get(params.team_id);
      const key = callerKey(request);
      return key ? teamSelfJson(team, key) : teamJson(team);
    },
  });
  defineRoute(app, registry, {
    method: 'PUT', url: '/api/teams/:team_id', summary: 'Change a team (name, status, markup, body logging, limits, metadata)', tag, auth: 'admin',
    params: teamParamsSchema, body: teamUpdateSchema, response: teamSchema,
    handler: async ({ params, body }) => {
      const patch: TeamPatch = { limits: limitsPatch(body) };
      if (body.name !== undefined) patch.name = body.name;
      if (body.status !== undefined) patch.status = body.status;
      if (body.cost_markup_percentage !== undefined) patch.costMarkupPercentage = body.cost_markup_percentage;
      if (body.body_logging !== undefined) patch.bodyLogging = body.body_logging;
      if (body.metadata !== undefined) patch.metadata = body.metadata;
      if (body.failed_job_policy !== undefined) patch.failedJobPolicy = body.failed_job_policy;
      return teamJson(await deps.teams.update(params.team_id, patch));
    },
  });
  defineRoute(app, registry, {
    method: 'DELETE', url: '/api/teams/:team_id', summary: 'Delete a team (soft; revokes its keys; a team with jobs needs ?force=true)', tag, auth: 'admin',
    params: teamParamsSchema, query: forceQuerySchema,
    response: z.object({ team_id: z.string(), deleted: z.literal(true), deleted_at: z.string() }),
    handler: async ({ params, query }) => {
      const deleted = await deps.teams.delete(params.team_id, query.force === 'true');
      return { team_id: deleted.teamId, deleted: true, deleted_at: deleted.deletedAt.toISOString() };
    },
  });
  const transitions: Array<[string, TeamStatus, string]> = [
    ['suspend', 'suspended', 'Suspend a team (client calls get 403 team_suspended)'],
    ['pause', 'paused', 'Pause a team (client calls get 403 team_paused)'],
    ['resume', 'active', 'Resume a suspended or paused team'],
  ];
  for (const [action, status, summary] of transitions) {
    defineRoute(app, registry, {
      method: 'PUT', url: `/api/teams/:team_id/${action}`, summary, tag, auth: 'admin', params: teamParamsSchema, response: teamSchema,
      handler: async ({ params }) => teamJson(await deps.teams.setStatus(params.team_id, status)),
    });
  }
  defineRoute(app, registry, {
    method: 'PUT', url: '/api/teams/:team_id/access-groups', summary: "Replace a team's access groups", tag, auth: 'admin',
    params: teamParamsSchema, body: teamAccessGroupsSchema, response: teamSchema,
    handler: async ({ params, body }) => teamJson(await deps.teams.setAccessGroups(params.team_id, body.access_groups)),
  });
}
