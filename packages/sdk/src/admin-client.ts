import { HEADERS } from '@saas-llm/protocol';
import { HttpTransport, pathOf, type FetchLike, type RequestOptions } from './http-transport.ts';
import type { RetryOptions } from './retry-policy.ts';
import type { AdminJobDetail, AdminJobPage, AdminJobsQuery, AnalyticsQuery, AnalyticsReport, DashboardStats, PricingTable } from './admin-types.ts';
import { KeysResource, OrganizationsResource, TeamsResource } from './admin-tenancy-resources.ts';
import { CreditsResource } from './admin-credits-resource.ts';
import { AccessGroupsResource, CredentialsResource, ModelGroupsResource, ModelsResource } from './admin-catalog-resources.ts';
import { AdminUsersResource } from './admin-users-resource.ts';

interface AdminClientConnection {
  /** The gateway's base URL, e.g. `http://localhost:8003`. */
  apiUrl: string;
  /** Defaults to the global `fetch`. */
  fetch?: FetchLike;
  /** Milliseconds per attempt. Default 60 s. */
  timeout?: number;
  /** Retries of transient failures (429, 502–504, connection errors). Default 2. */
  maxRetries?: number;
  /** Backoff settings beyond `maxRetries`. */
  retry?: RetryOptions;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

/**
 * Options of `SaaSLLMAdminClient`: the master key (`adminKey`, sent as `X-Admin-Key`) or an admin
 * user's session token (`sessionToken`, sent as `Authorization: Bearer`), never both. With neither, the
 * requests carry no credentials of their own, which suits the console: its browser sends the session
 * cookie set at login.
 */
export type SaaSLLMAdminClientOptions = AdminClientConnection & (
  | { adminKey: string; sessionToken?: undefined }
  | { sessionToken: string; adminKey?: undefined }
  | { adminKey?: undefined; sessionToken?: undefined }
);

/** Jobs and their calls, across every team, with provider cost and margin. */
export class AdminJobsResource {
  constructor(private readonly http: HttpTransport) {}

  /**
   * One page of jobs across teams, newest first, filtered by team, organization, status, type and time;
   * pass `next_cursor` as `cursor` for the next page. `GET /api/admin/jobs`
   */
  list(query: AdminJobsQuery = {}, options?: RequestOptions): Promise<AdminJobPage> {
    return this.http.request({ ...options, method: 'GET', path: '/api/admin/jobs', query: { ...query } });
  }

  /**
   * One job with every call: deployment, provider model, attempts, provider cost, client cost, margin
   * and bodies. `GET /api/admin/jobs/{job_id}`
   */
  get(jobId: string, options?: RequestOptions): Promise<AdminJobDetail> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'admin', 'jobs', jobId) });
  }
}

/**
 * The operator's client for the admin API (`04-admin-api.md`), grouped by resource:
 * `admin.teams.create({...})`, `admin.credits.add(teamId, {...})`. Failures throw `SaaSLLMError`
 * subclasses; transient ones are retried first. Runs in Node and in browsers.
 */
export class SaaSLLMAdminClient {
  readonly organizations: OrganizationsResource;
  readonly teams: TeamsResource;
  readonly keys: KeysResource;
  readonly credits: CreditsResource;
  readonly credentials: CredentialsResource;
  /** Deployments (model aliases), served at `/api/models`. */
  readonly models: ModelsResource;
  readonly modelGroups: ModelGroupsResource;
  readonly accessGroups: AccessGroupsResource;
  readonly adminUsers: AdminUsersResource;
  readonly jobs: AdminJobsResource;
  private readonly http: HttpTransport;

  constructor(options: SaaSLLMAdminClientOptions) {
    if (options.adminKey !== undefined && options.sessionToken !== undefined) {
      throw new TypeError('SaaSLLMAdminClient: pass either adminKey or sessionToken, not both.');
    }
    const headers: Record<string, string> = { ...options.headers };
    if (options.adminKey !== undefined) headers[HEADERS.adminKey] = options.adminKey;
    if (options.sessionToken !== undefined) headers['authorization'] = `Bearer ${options.sessionToken}`;
    this.http = new HttpTransport({
      baseUrl: options.apiUrl,
      headers,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
      retry: { ...options.retry, ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }) },
    });
    this.organizations = new OrganizationsResource(this.http);
    this.teams = new TeamsResource(this.http);
    this.keys = new KeysResource(this.http);
    this.credits = new CreditsResource(this.http);
    this.credentials = new CredentialsResource(this.http);
    this.models = new ModelsResource(this.http);
    this.modelGroups = new ModelGroupsResource(this.http);
    this.accessGroups = new AccessGroupsResource(this.http);
    this.adminUsers = new AdminUsersResource(this.http);
    this.jobs = new AdminJobsResource(this.http);
  }

  /**
   * Calls, jobs, tokens, provider cost, client cost, margin, error rate and p50/p95 latency, filtered by
   * organization, team and time, grouped by day, team, model group, deployment or job type.
   * `GET /api/admin/analytics`
   */
  analytics(query: AnalyticsQuery = {}, options?: RequestOptions): Promise<AnalyticsReport> {
    return this.http.request({ ...options, method: 'GET', path: '/api/admin/analytics', query: { ...query } });
  }

  /** The dashboard's headline counters. `GET /api/stats/dashboard` */
  dashboard(options?: RequestOptions): Promise<DashboardStats> {
    return this.http.request({ ...options, method: 'GET', path: '/api/stats/dashboard' });
  }

  /** The shipped price table merged with the deployments' own prices. `GET /api/pricing` */
  pricing(options?: RequestOptions): Promise<PricingTable> {
    return this.http.request({ ...options, method: 'GET', path: '/api/pricing' });
  }
}
