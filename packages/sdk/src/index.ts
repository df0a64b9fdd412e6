/**
 * The SaaS LLM TypeScript SDK: runs in Node and in browsers, depends on `@saas-llm/protocol` only.
 */
export * from './errors.ts';
export { RetryPolicy, parseRetryAfter, type RetryOptions } from './retry-policy.ts';
export {
  HttpTransport, pathOf,
  type FetchLike, type HttpMethod, type HttpTransportOptions, type QueryParams, type RequestOptions, type TransportRequest, type TransportResult,
} from './http-transport.ts';
export { SaaSLLMAdminClient, AdminJobsResource, type SaaSLLMAdminClientOptions } from './admin-client.ts';
export { OrganizationsResource, TeamsResource, KeysResource } from './admin-tenancy-resources.ts';
export { CreditsResource } from './admin-credits-resource.ts';
export { CredentialsResource, ModelsResource, ModelGroupsResource, AccessGroupsResource } from './admin-catalog-resources.ts';
export { AdminUsersResource } from './admin-users-resource.ts';
export type * from './admin-types.ts';
