/**
 * The SaaS LLM TypeScript SDK: runs in Node and in browsers, depends on `@saas-llm/protocol` and zod only.
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
export { SaaSLLMClient, type SaaSLLMClientOptions, type CreateJobOptions } from './saas-llm-client.ts';
export { TeamReads } from './team-reads.ts';
export { JobHandle } from './job-handle.ts';
export { ChatStream, StreamClosedError } from './chat-stream.ts';
export {
  StructuredOutputError, responseFormatFor, validateAnswer, reaskMessages,
  type StructuredOutputOptions, type StructuredOutputParams, type StructuredStreamEvent, type Validation,
} from './structured-output.ts';
export { parsePartialJson, type PartialJson, type DeepPartial } from './partial-json.ts';
export { SseDecoder, readSseEvents, type SseEvent } from './sse-decoder.ts';
export type * from './client-types.ts';
/** The zod the SDK validates with: build `responseModel` schemas with it so both sides use one zod 4. */
export { z } from 'zod';
