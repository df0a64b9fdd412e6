import { z } from 'zod';
import { creditsSchema, metadataSchema, positiveCreditsSchema, pricePerMillionSchema, slugSchema, uuidSchema, limitQuerySchema } from './common.ts';

export const TEAM_STATUSES = ['active', 'suspended', 'paused'] as const;
export const BUDGET_MODES = ['job_based', 'consumption_usd', 'consumption_tokens'] as const;
export const FAILED_JOB_POLICIES = ['free', 'consumption'] as const;
export const BODY_LOGGING = ['full', 'metadata', 'none'] as const;
export const REFILL_PERIODS = ['daily', 'weekly', 'monthly'] as const;
export const PROVIDERS = ['openai', 'anthropic', 'gemini', 'azure', 'openai-compatible', 'mock'] as const;
export const ADMIN_ROLES = ['owner', 'admin', 'viewer'] as const;
export const GROUP_STRATEGIES = ['priority', 'weighted'] as const;

export type TeamStatus = (typeof TEAM_STATUSES)[number];
export type BudgetMode = (typeof BUDGET_MODES)[number];
export type FailedJobPolicy = (typeof FAILED_JOB_POLICIES)[number];
export type BodyLogging = (typeof BODY_LOGGING)[number];
export type RefillPeriod = (typeof REFILL_PERIODS)[number];
export type ProviderName = (typeof PROVIDERS)[number];
export type AdminRole = (typeof ADMIN_ROLES)[number];
export type GroupStrategy = (typeof GROUP_STRATEGIES)[number];

// ---------- organizations ----------
export const organizationCreateSchema = z.strictObject({
  organization_id: slugSchema,
  name: z.string().min(1).max(200),
  status: z.enum(['active', 'inactive']).optional(),
  metadata: metadataSchema.optional(),
});
export const organizationUpdateSchema = organizationCreateSchema.omit({ organization_id: true }).partial();
export type OrganizationCreate = z.infer<typeof organizationCreateSchema>;
export type OrganizationUpdate = z.infer<typeof organizationUpdateSchema>;

// ---------- teams ----------
const optionalLimit = z.number().int().min(1).max(10_000_000).nullable().optional();
export const teamLimitsSchema = z.strictObject({
  rpm_limit: optionalLimit,
  tpm_limit: optionalLimit,
  max_concurrent_calls: optionalLimit,
  max_open_jobs: optionalLimit,
});
export const teamCreateSchema = z.strictObject({
  team_id: slugSchema,
  organization_id: slugSchema,
  name: z.string().min(1).max(200).optional(),
  status: z.enum(TEAM_STATUSES).optional(),
  access_groups: z.array(slugSchema).max(100).optional(),
  credits_allocated: creditsSchema.refine((n) => n >= 0, 'must be 0 or more').optional(),
  budget_mode: z.enum(BUDGET_MODES).optional(),
  credits_per_dollar: z.number().finite().positive().max(1e9).optional(),
  tokens_per_credit: z.number().int().positive().max(1e12).optional(),
  failed_job_policy: z.enum(FAILED_JOB_POLICIES).optional(),
  cost_markup_percentage: z.number().finite().min(0).max(10000).optional(),
  body_logging: z.enum(BODY_LOGGING).optional(),
  metadata: metadataSchema.optional(),
  key_name: z.string().min(1).max(200).optional(),
  ...teamLimitsSchema.shape,
});
export const teamUpdateSchema = teamCreateSchema.omit({ team_id: true, organization_id: true, access_groups: true, credits_allocated: true, key_name: true, budget_mode: true, credits_per_dollar: true, tokens_per_credit: true }).partial();
export const teamAccessGroupsSchema = z.strictObject({ access_groups: z.array(slugSchema).max(100) });
export const teamListQuerySchema = z.strictObject({ organization_id: slugSchema.optional(), status: z.enum(TEAM_STATUSES).optional() });
export type TeamCreate = z.infer<typeof teamCreateSchema>;
export type TeamUpdate = z.infer<typeof teamUpdateSchema>;

// ---------- virtual keys ----------
export const keyCreateSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
  rpm_limit: optionalLimit,
  tpm_limit: optionalLimit,
  allowed_model_groups: z.array(slugSchema).max(200).nullable().optional(),
});
export const keyRotateSchema = z.strictObject({ grace_seconds: z.number().int().min(0).max(30 * 24 * 3600).optional(), name: z.string().min(1).max(200).optional() });
export type KeyCreate = z.infer<typeof keyCreateSchema>;

// ---------- credits ----------
export const creditsAddSchema = z.strictObject({ credits: positiveCreditsSchema, reason: z.string().min(1).max(500).optional() });
export const creditsReplenishSchema = z.strictObject({
  credits: positiveCreditsSchema,
  payment_type: z.enum(['subscription', 'one_time']),
  payment_amount_usd: z.number().finite().min(0).max(1e9).optional(),
  reason: z.string().min(1).max(500).optional(),
});
export const creditsAdjustSchema = z.strictObject({ credits: creditsSchema.refine((n) => n !== 0, 'must not be 0'), reason: z.string().min(1).max(500) });
export const budgetModeSchema = z.strictObject({ budget_mode: z.enum(BUDGET_MODES), failed_job_policy: z.enum(FAILED_JOB_POLICIES).optional() });
export const conversionRatesSchema = z.strictObject({
  credits_per_dollar: z.number().finite().positive().max(1e9).optional(),
  tokens_per_credit: z.number().int().positive().max(1e12).optional(),
});
export const autoRefillSchema = z.strictObject({
  enabled: z.boolean().optional(),
  refill_amount: creditsSchema.refine((n) => n >= 0, 'must be 0 or more').nullable().optional(),
  refill_period: z.enum(REFILL_PERIODS).nullable().optional(),
});
export const creditCheckSchema = z.strictObject({ credits_needed: creditsSchema.refine((n) => n >= 0, 'must be 0 or more') });
export const transactionsQuerySchema = z.strictObject({ limit: limitQuerySchema.optional(), cursor: z.string().max(200).optional(), type: z.string().max(50).optional() });

// ---------- provider credentials ----------
export const credentialCreateSchema = z.strictObject({
  provider: z.enum(PROVIDERS),
  name: z.string().min(1).max(200),
  api_key: z.string().max(10_000).optional(),
  api_base: z.url().max(2000).nullable().optional(),
  api_version: z.string().max(100).nullable().optional(),
  extra_headers: z.record(z.string(), z.string().max(4000)).nullable().optional(),
  organization_id: slugSchema.nullable().optional(),
  active: z.boolean().optional(),
});
export const credentialUpdateSchema = credentialCreateSchema.omit({ provider: true }).partial();
export type CredentialCreate = z.infer<typeof credentialCreateSchema>;

// ---------- deployments (model aliases) ----------
export const capabilitiesSchema = z.strictObject({
  tools: z.boolean().optional(),
  json_schema: z.boolean().optional(),
  vision: z.boolean().optional(),
  embeddings: z.boolean().optional(),
});
export const deploymentCreateSchema = z.strictObject({
  alias: slugSchema,
  provider: z.enum(PROVIDERS),
  model: z.string().min(1).max(300),
  credential_id: uuidSchema.nullable().optional(),
  api_base: z.url().max(2000).nullable().optional(),
  input_price_per_million: pricePerMillionSchema.nullable().optional(),
  output_price_per_million: pricePerMillionSchema.nullable().optional(),
  cached_input_price_per_million: pricePerMillionSchema.nullable().optional(),
  context_window: z.number().int().positive().max(100_000_000).nullable().optional(),
  max_output_tokens: z.number().int().positive().max(10_000_000).nullable().optional(),
  capabilities: capabilitiesSchema.optional(),
  status: z.enum(['active', 'inactive']).optional(),
  timeout_ms: z.number().int().min(100).max(3_600_000).optional(),
  /** Provider-specific settings, e.g. the mock's `ttft_ms` and `tokens_per_second`. */
  settings: metadataSchema.optional(),
});
export const deploymentUpdateSchema = deploymentCreateSchema.omit({ alias: true }).partial();
export type DeploymentCreate = z.infer<typeof deploymentCreateSchema>;

// ---------- model groups ----------
export const groupMemberSchema = z.strictObject({
  alias: slugSchema,
  priority: z.number().int().min(0).max(1000).optional(),
  weight: z.number().int().min(1).max(1000).optional(),
});
export const modelGroupCreateSchema = z.strictObject({
  name: slugSchema,
  display_name: z.string().min(1).max(200).optional(),
  description: z.string().max(2000).optional(),
  strategy: z.enum(GROUP_STRATEGIES).optional(),
  num_retries: z.number().int().min(0).max(10).optional(),
  retry_backoff_ms: z.number().int().min(0).max(60_000).optional(),
  status: z.enum(['active', 'inactive']).optional(),
  members: z.array(groupMemberSchema).max(100).optional(),
});
export const modelGroupUpdateSchema = modelGroupCreateSchema.omit({ name: true, members: true }).partial();
export const modelGroupMembersSchema = z.strictObject({ members: z.array(groupMemberSchema).max(100) });
export type ModelGroupCreate = z.infer<typeof modelGroupCreateSchema>;
export type GroupMember = z.infer<typeof groupMemberSchema>;

// ---------- access groups ----------
export const accessGroupCreateSchema = z.strictObject({
  name: slugSchema,
  description: z.string().max(2000).optional(),
  model_groups: z.array(slugSchema).max(500).optional(),
  deployments: z.array(slugSchema).max(500).optional(),
});
export const accessGroupUpdateSchema = z.strictObject({ description: z.string().max(2000).optional() });
export const accessGroupModelsSchema = z.strictObject({ model_groups: z.array(slugSchema).max(500).optional(), deployments: z.array(slugSchema).max(500).optional() });

// ---------- admin users ----------
export const adminSetupSchema = z.strictObject({ email: z.email().max(320), password: z.string().min(10).max(200), name: z.string().min(1).max(200).optional() });
export const adminLoginSchema = z.strictObject({ email: z.email().max(320), password: z.string().min(1).max(200) });
export const adminUserCreateSchema = adminSetupSchema.extend({ role: z.enum(ADMIN_ROLES) });
export const adminUserUpdateSchema = z.strictObject({ name: z.string().min(1).max(200).optional(), role: z.enum(ADMIN_ROLES).optional(), status: z.enum(['active', 'disabled']).optional(), password: z.string().min(10).max(200).optional() });
export const changePasswordSchema = z.strictObject({ current_password: z.string().min(1).max(200), new_password: z.string().min(10).max(200) });
export const auditQuerySchema = z.strictObject({ actor: z.string().max(320).optional(), resource_type: z.string().max(100).optional(), from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional(), limit: limitQuerySchema.optional(), cursor: z.string().max(200).optional() });
export const adminUserIdParamsSchema = z.strictObject({ user_id: uuidSchema });
/** An admin user as the API shows it: never the password hash. */
export const adminUserSchema = z.object({
  user_id: z.string(), email: z.string(), name: z.string(), role: z.enum(ADMIN_ROLES), status: z.enum(['active', 'disabled']),
  created_at: z.string(), updated_at: z.string(), last_login_at: z.string().nullable(),
});
/** Login and setup answer: the session token (also set as the `saas_llm_session` cookie) and its expiry. */
export const adminSessionResponseSchema = z.object({ token: z.string(), expires_at: z.string(), user: adminUserSchema });
/** `GET /api/admin-users/me`: the caller; `auth` says whether it came with the master key or a session. */
export const adminMeSchema = z.object({
  auth: z.enum(['master_key', 'session']), user_id: z.string().nullable(), email: z.string().nullable(), name: z.string(),
  role: z.enum(ADMIN_ROLES),
});
export const auditLogEntrySchema = z.object({
  audit_id: z.number(), actor_type: z.enum(['master_key', 'admin_user', 'system']), actor_id: z.string(), actor_email: z.string().nullable(),
  action: z.string(), resource_type: z.string(), resource_id: z.string().nullable(), ip: z.string().nullable(), user_agent: z.string().nullable(),
  diff: z.unknown(), status_code: z.number().nullable(), created_at: z.string(),
});
export const auditLogPageSchema = z.object({ audit_logs: z.array(auditLogEntrySchema), next_cursor: z.string().nullable() });
export type AdminUser = z.infer<typeof adminUserSchema>;
export type AdminSessionResponse = z.infer<typeof adminSessionResponseSchema>;
export type AuditLogEntry = z.infer<typeof auditLogEntrySchema>;

export const forceQuerySchema = z.strictObject({ force: z.enum(['true', 'false']).optional() });
