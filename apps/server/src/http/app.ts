import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { errorEnvelope } from '@saas-llm/protocol';
import type { Container } from '../container.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerErrorHandler } from './plugins/error-handler.ts';
import { registerRequestContext, requestIdFrom } from './plugins/request-context.ts';
import { RouteRegistry } from './route-registry.ts';
import { registerOpsRoutes } from './routes/ops-routes.ts';
import { registerMetrics } from './plugins/metrics.ts';
import { registerReadAfterWrite } from './plugins/read-after-write.ts';
import { registerJobsRoutes } from './routes/client/jobs-routes.ts';
import { registerTeamJobsRoutes } from './routes/client/team-jobs-routes.ts';
import { registerLlmCallRoutes } from './routes/client/llm-call-routes.ts';
import { registerV1Routes } from './routes/v1/v1-routes.ts';
// ==== imports: tenancy & credits routes ====
import { registerCreditRoutes } from './routes/admin/credits-routes.ts';
import { registerOrganizationRoutes } from './routes/admin/organizations-routes.ts';
import { registerTeamRoutes } from './routes/admin/teams-routes.ts';
import { registerVirtualKeyRoutes } from './routes/admin/virtual-keys-routes.ts';
// ==== end imports: tenancy & credits routes ====
// ==== imports: catalog routes ====
import { registerAccessGroupRoutes } from './routes/admin/access-groups-routes.ts';
import { registerDeploymentRoutes } from './routes/admin/deployments-routes.ts';
import { registerModelGroupRoutes } from './routes/admin/model-groups-routes.ts';
import { registerPricingRoutes } from './routes/admin/pricing-routes.ts';
import { registerProviderCredentialRoutes } from './routes/admin/provider-credentials-routes.ts';
// ==== end imports: catalog routes ====
// ==== imports: admin users & audit routes ====
import { exposeRouteRegistry } from './route-inventory.ts';
import { registerAdminJobsRoutes } from './routes/admin/admin-jobs-routes.ts';
import { registerAdminUsersRoutes } from './routes/admin/admin-users-routes.ts';
import { registerAnalyticsRoutes } from './routes/admin/analytics-routes.ts';
import { registerAuditRoutes } from './routes/admin/audit-routes.ts';
// ==== end imports: admin users & audit routes ====

export interface AppOptions {
  /** Reserved for per-app options; logging comes from the container's logger. */
  trustProxy?: boolean;
}

/** Builds the Fastify app without listening (tests use `inject` or listen on port 0). */
export async function buildApp(container: Container, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // Typed as Fastify's base logger so the app keeps the default FastifyInstance type used by every route module.
    loggerInstance: container.logger as FastifyBaseLogger,
    bodyLimit: container.config.bodyLimitBytes,
    genReqId: (request) => requestIdFrom(request.headers['x-request-id']),
    requestIdHeader: false,
    // Per-request access logs are off: /metrics counts requests, and log volume would dominate the hot path.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 500 },
    // Router-level failures (URL too long, malformed URL) still answer the one envelope.
    frameworkErrors: (error, _request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const envelope = errorEnvelope('invalid_request', tooLong ? 'A path segment of the URL is too long.' : 'The URL is malformed.');
      (reply as FastifyReply).status(tooLong ? 414 : 400).send(envelope);
    },
  });
  const registry = new RouteRegistry();
  registerRequestContext(app);
  registerErrorHandler(app);
  registerMetrics(app, container.metrics);
  registerReadAfterWrite(app, () => container.calls.settled());
  registerAuth(app, {
    // ==== auth: admin users & audit ====
    admin: container.adminAuth,
    audit: container.audit,
    // ==== end auth: admin users & audit ====
    // ==== auth: tenancy & credits ====
    keys: container.keyAuthenticator,
    // ==== end auth: tenancy & credits ====
  });
  registerOpsRoutes(app, registry, { readiness: container.readiness, version: container.version });
  registerJobsRoutes(app, registry, container.jobs);
  registerTeamJobsRoutes(app, registry, container.jobStore, container.teamUsage);
  registerLlmCallRoutes(app, registry, { pipeline: container.pipeline, jobs: container.jobs, calls: container.calls, keepaliveMs: container.config.streamKeepaliveMs, streams: container.streams });
  registerV1Routes(app, registry, { pipeline: container.pipeline, jobs: container.jobs, resolver: container.modelResolver, keepaliveMs: container.config.streamKeepaliveMs, streams: container.streams });
  // ==== routes: tenancy & credits ====
  registerOrganizationRoutes(app, registry, { organizations: container.organizations, teams: container.teams });
  registerTeamRoutes(app, registry, { teams: container.teams });
  registerVirtualKeyRoutes(app, registry, { teams: container.teams, virtualKeys: container.virtualKeys });
  registerCreditRoutes(app, registry, { credits: container.credits });
  // Pending last_used_at writes go out before the database closes.
  app.addHook('onClose', async () => { await container.keyAuthenticator.close(); });
  // ==== end routes: tenancy & credits ====
  // ==== routes: catalog ====
  registerProviderCredentialRoutes(app, registry, { credentials: container.providerCredentials });
  registerDeploymentRoutes(app, registry, { deployments: container.deployments });
  registerModelGroupRoutes(app, registry, { modelGroups: container.modelGroups, resolver: container.modelResolver });
  registerAccessGroupRoutes(app, registry, { accessGroups: container.accessGroups });
  registerPricingRoutes(app, registry, { pricing: container.pricing });
  // ==== end routes: catalog ====
  // ==== routes: admin users & audit ====
  registerAdminUsersRoutes(app, registry, {
    auth: container.adminAuth, users: container.adminUsers, audit: container.audit, secureCookies: container.config.nodeEnv === 'production',
  });
  registerAuditRoutes(app, registry, { audit: container.audit });
  registerAdminJobsRoutes(app, registry, { reports: container.adminReports });
  registerAnalyticsRoutes(app, registry, { reports: container.adminReports });
  exposeRouteRegistry(app, registry);
  // ==== end routes: admin users & audit ====
  return app;
}
