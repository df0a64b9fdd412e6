import type { FastifyInstance } from 'fastify';
import {
  createdVirtualKeySchema, keyCreateSchema, keyRotateSchema, rotatedVirtualKeySchema, teamKeyParamsSchema, teamParamsSchema, virtualKeyListSchema,
  virtualKeySchema,
} from '@saas-llm/protocol';
import type { TeamService } from '../../../domain/teams.ts';
import type { KeySettings, VirtualKeyService } from '../../../domain/virtual-keys.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { virtualKeyJson } from './tenancy-json.ts';

export interface VirtualKeyRouteDependencies {
  teams: TeamService;
  virtualKeys: VirtualKeyService;
}

const tag = 'virtual keys';

/** `/api/teams/{id}/keys…` of 04-admin-api.md (admin only). The full key appears in creation answers only. */
export function registerVirtualKeyRoutes(app: FastifyInstance, registry: RouteRegistry, deps: VirtualKeyRouteDependencies): void {
  defineRoute(app, registry, {
    method: 'GET', url: '/api/teams/:team_id/keys', summary: "A team's virtual keys (prefix, name, dates; never the key)", tag, auth: 'admin',
    params: teamParamsSchema, response: virtualKeyListSchema,
    handler: async ({ params }) => {
      await deps.teams.get(params.team_id);
      const now = new Date();
      return { team_id: params.team_id, keys: (await deps.virtualKeys.list(params.team_id)).map((key) => virtualKeyJson(key, now)) };
    },
  });
  defineRoute(app, registry, {
    method: 'POST', url: '/api/teams/:team_id/keys', summary: 'Create a virtual key (the full key is in this answer only)', tag, auth: 'admin',
    params: teamParamsSchema, body: keyCreateSchema.optional(), response: createdVirtualKeySchema, resourceType: 'virtual_key',
    handler: async ({ params, body }) => {
      const settings: KeySettings = {};
      if (body?.name !== undefined) settings.name = body.name;
      if (body?.expires_at !== undefined) settings.expiresAt = body.expires_at === null ? null : new Date(body.expires_at);
      if (body?.rpm_limit !== undefined) settings.rpmLimit = body.rpm_limit;
      if (body?.tpm_limit !== undefined) settings.tpmLimit = body.tpm_limit;
      if (body?.allowed_model_groups !== undefined) settings.allowedModelGroups = body.allowed_model_groups;
      const created = await deps.virtualKeys.create(params.team_id, settings);
      return { ...virtualKeyJson(created.key), key: created.rawKey };
    },
  });
  defineRoute(app, registry, {
    method: 'POST', url: '/api/teams/:team_id/keys/:key_id/rotate',
    summary: 'Rotate a virtual key: a new key now; the old one revoked now or after grace_seconds', tag, auth: 'admin',
    params: teamKeyParamsSchema, body: keyRotateSchema.optional(), response: rotatedVirtualKeySchema, resourceType: 'virtual_key',
    handler: async ({ params, body }) => {
      const rotated = await deps.virtualKeys.rotate(params.team_id, params.key_id, {
        ...(body?.grace_seconds !== undefined ? { graceSeconds: body.grace_seconds } : {}),
        ...(body?.name !== undefined ? { name: body.name } : {}),
      });
      return { ...virtualKeyJson(rotated.key), key: rotated.rawKey, rotated_from: virtualKeyJson(rotated.retired) };
    },
  });
  defineRoute(app, registry, {
    method: 'DELETE', url: '/api/teams/:team_id/keys/:key_id', summary: 'Revoke a virtual key (stops working everywhere within 1 s)', tag, auth: 'admin',
    params: teamKeyParamsSchema, response: virtualKeySchema, resourceType: 'virtual_key',
    handler: async ({ params }) => virtualKeyJson(await deps.virtualKeys.revoke(params.team_id, params.key_id)),
  });
}
