import type { FastifyInstance } from 'fastify';
import { pricingViewSchema } from '@saas-llm/protocol';
import type { PricingService } from '../../../domain/pricing-service.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { pricingView } from './catalog-views.ts';

/** `GET /api/pricing`: the shipped price table merged with the deployments' own prices. */
export function registerPricingRoutes(app: FastifyInstance, registry: RouteRegistry, deps: { pricing: PricingService }): void {
  defineRoute(app, registry, {
    method: 'GET', url: '/api/pricing', tag: 'pricing', auth: 'admin',
    summary: 'The shipped price table (USD per 1M tokens, with as_of dates) and the price each deployment is metered at, with its source',
    response: pricingViewSchema,
    handler: async () => pricingView(await deps.pricing.overview()),
  });
}
