import { z } from 'zod';
import { GROUP_STRATEGIES, PROVIDERS } from './admin.ts';
import { slugSchema, uuidSchema } from './common.ts';

// ---------- path parameters ----------
export const credentialParamsSchema = z.strictObject({ credential_id: uuidSchema });
export const deploymentParamsSchema = z.strictObject({ alias: slugSchema });
export const modelGroupParamsSchema = z.strictObject({ name: slugSchema });
export const accessGroupParamsSchema = z.strictObject({ name: slugSchema });

const booleanQuery = z.enum(['true', 'false']).transform((value) => value === 'true');
const tokenCountQuery = z.coerce.number().int().min(0).max(100_000_000);

/**
 * `GET /api/model-groups/{name}/resolve`: a dry run of resolution. `team_id` checks the team's access (and
 * its organization's credentials); the other fields describe the request to resolve for.
 */
export const resolveQuerySchema = z.strictObject({
  team_id: slugSchema.optional(),
  tools: booleanQuery.optional(),
  json_schema: booleanQuery.optional(),
  vision: booleanQuery.optional(),
  embeddings: booleanQuery.optional(),
  prompt_tokens: tokenCountQuery.optional(),
  max_output_tokens: tokenCountQuery.optional(),
});
export type ResolveQuery = z.infer<typeof resolveQuerySchema>;

// ---------- responses ----------
const capabilitiesViewSchema = z.object({ tools: z.boolean(), json_schema: z.boolean(), vision: z.boolean(), embeddings: z.boolean() });

/** A provider credential as the API shows it: never the secret, only `has_api_key` and its last 4 characters. */
export const credentialViewSchema = z.object({
  credential_id: z.string(),
  provider: z.enum(PROVIDERS),
  name: z.string(),
  has_api_key: z.boolean(),
  api_key_last4: z.string().nullable(),
  api_base: z.string().nullable(),
  api_version: z.string().nullable(),
  /** Names only: header values are stored encrypted and never returned. */
  extra_header_names: z.array(z.string()).nullable(),
  /** False when a stored secret no longer decrypts (the encryption key changed): set the secret again. */
  secrets_readable: z.boolean(),
  organization_id: z.string().nullable(),
  active: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type CredentialView = z.infer<typeof credentialViewSchema>;

/** A deployment; prices in USD per 1M tokens (null = not set: the shipped price table applies). */
export const deploymentViewSchema = z.object({
  alias: z.string(),
  provider: z.enum(PROVIDERS),
  model: z.string(),
  credential_id: z.string().nullable(),
  api_base: z.string().nullable(),
  input_price_per_million: z.number().nullable(),
  output_price_per_million: z.number().nullable(),
  cached_input_price_per_million: z.number().nullable(),
  context_window: z.number().nullable(),
  max_output_tokens: z.number().nullable(),
  capabilities: capabilitiesViewSchema,
  status: z.enum(['active', 'inactive']),
  timeout_ms: z.number(),
  settings: z.record(z.string(), z.unknown()),
  created_at: z.string(),
  updated_at: z.string(),
});
export type DeploymentView = z.infer<typeof deploymentViewSchema>;

export const modelGroupViewSchema = z.object({
  name: z.string(),
  display_name: z.string(),
  description: z.string(),
  strategy: z.enum(GROUP_STRATEGIES),
  num_retries: z.number(),
  retry_backoff_ms: z.number(),
  status: z.enum(['active', 'inactive']),
  members: z.array(z.object({ alias: z.string(), priority: z.number(), weight: z.number() })),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ModelGroupView = z.infer<typeof modelGroupViewSchema>;

/** A model group as a team sees it with its virtual key: nothing about providers. */
export const teamModelGroupViewSchema = z.object({ name: z.string(), display_name: z.string(), description: z.string() });
export type TeamModelGroupView = z.infer<typeof teamModelGroupViewSchema>;

export const accessGroupViewSchema = z.object({
  name: z.string(),
  description: z.string(),
  model_groups: z.array(z.string()),
  deployments: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
});
export type AccessGroupView = z.infer<typeof accessGroupViewSchema>;

/** The dry run: candidates in the order they would be tried, and why each other member was skipped. */
export const resolutionViewSchema = z.object({
  name: z.string(),
  kind: z.enum(['model_group', 'deployment']),
  strategy: z.enum(GROUP_STRATEGIES),
  team_id: z.string().nullable(),
  candidates: z.array(z.object({
    alias: z.string(), provider: z.enum(PROVIDERS), model: z.string(), priority: z.number(), weight: z.number(),
    price_source: z.enum(['deployment', 'price_table', 'unpriced']), emulate_json_schema: z.boolean(),
  })),
  skipped: z.array(z.object({ alias: z.string(), reason: z.string(), detail: z.string() })),
});
export type ResolutionView = z.infer<typeof resolutionViewSchema>;

const priceFields = {
  input_price_per_million: z.number(),
  output_price_per_million: z.number(),
  cached_input_price_per_million: z.number().nullable(),
};
/** `GET /api/pricing`: the shipped price table, and the price every deployment is metered at with its source. */
export const pricingViewSchema = z.object({
  currency: z.literal('USD'),
  unit: z.literal('per 1M tokens'),
  price_table: z.object({ as_of: z.string().nullable(), note: z.string() }),
  models: z.array(z.object({ provider: z.string(), model: z.string(), ...priceFields, as_of: z.string() })),
  deployments: z.array(z.object({
    alias: z.string(), provider: z.enum(PROVIDERS), model: z.string(), ...priceFields,
    source: z.enum(['deployment', 'price_table', 'unpriced']), as_of: z.string().nullable(),
  })),
});
export type PricingView = z.infer<typeof pricingViewSchema>;
