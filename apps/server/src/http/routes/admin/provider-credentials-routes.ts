import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { credentialCreateSchema, credentialParamsSchema, credentialUpdateSchema, credentialViewSchema } from '@saas-llm/protocol';
import type { ProviderCredentialService } from '../../../domain/provider-credential-service.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { credentialView } from './catalog-views.ts';

const TAG = 'provider credentials';
const RESOURCE = 'provider_credential';
const deletedSchema = z.object({ deleted: z.literal(true), credential_id: z.string() });

/** `/api/provider-credentials`: secrets are write-only; every answer shows only `has_api_key` and `api_key_last4`. */
export function registerProviderCredentialRoutes(app: FastifyInstance, registry: RouteRegistry, deps: { credentials: ProviderCredentialService }): void {
  const { credentials } = deps;
  defineRoute(app, registry, {
    method: 'GET', url: '/api/provider-credentials', summary: 'List provider credentials (never their secrets)', tag: TAG, auth: 'admin',
    response: z.array(credentialViewSchema),
    handler: async () => (await credentials.list()).map(credentialView),
  });
  for (const url of ['/api/provider-credentials/create', '/api/provider-credentials']) {
    defineRoute(app, registry, {
      method: 'POST', url, summary: 'Create a provider credential (the API key is encrypted and never returned)', tag: TAG, auth: 'admin', resourceType: RESOURCE,
      body: credentialCreateSchema, response: credentialViewSchema,
      handler: async ({ body }) => credentialView(await credentials.create(body)),
    });
  }
  defineRoute(app, registry, {
    method: 'GET', url: '/api/provider-credentials/:credential_id', summary: 'Show a provider credential', tag: TAG, auth: 'admin',
    params: credentialParamsSchema, response: credentialViewSchema,
    handler: async ({ params }) => credentialView(await credentials.get(params.credential_id)),
  });
  defineRoute(app, registry, {
    method: 'PUT', url: '/api/provider-credentials/:credential_id', summary: 'Update a provider credential (a new api_key replaces the old one)', tag: TAG, auth: 'admin', resourceType: RESOURCE,
    params: credentialParamsSchema, body: credentialUpdateSchema, response: credentialViewSchema,
    handler: async ({ params, body }) => credentialView(await credentials.update(params.credential_id, body)),
  });
  defineRoute(app, registry, {
    method: 'DELETE', url: '/api/provider-credentials/:credential_id', summary: 'Delete a provider credential (refused while deployments use it)', tag: TAG, auth: 'admin', resourceType: RESOURCE,
    params: credentialParamsSchema, response: deletedSchema,
    handler: async ({ params }) => {
      await credentials.delete(params.credential_id);
      return { deleted: true, credential_id: params.credential_id };
    },
  });
  for (const [action, active] of [['activate', true], ['deactivate', false]] as const) {
    defineRoute(app, registry, {
      method: 'PUT', url: `/api/provider-credentials/:credential_id/${action}`, summary: `${active ? 'Activate' : 'Deactivate'} a provider credential`, tag: TAG, auth: 'admin', resourceType: RESOURCE,
      params: credentialParamsSchema, response: credentialViewSchema,
      handler: async ({ params }) => credentialView(await credentials.setActive(params.credential_id, active)),
    });
  }
}
