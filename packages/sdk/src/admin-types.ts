import type {
  accessGroupCreateSchema, accessGroupModelsSchema, accessGroupUpdateSchema, adminLoginSchema, adminSetupSchema,
  adminUserCreateSchema, adminUserUpdateSchema, auditQuerySchema, autoRefillSchema, budgetModeSchema, changePasswordSchema,
  conversionRatesSchema, creditsAddSchema, creditsAdjustSchema, creditsReplenishSchema, credentialUpdateSchema,
  deploymentUpdateSchema, keyRotateSchema, modelGroupUpdateSchema, teamListQuerySchema, transactionsQuerySchema,
  AdminRole, BudgetMode, BodyLogging, FailedJobPolicy, GroupMember, GroupStrategy, ProviderName, RefillPeriod, TeamStatus,
} from '@saas-llm/protocol';

/**
 * The parsed type of a protocol schema (what `z.infer` gives), without a dependency on zod here: the SDK
 * depends on the protocol package only.
 */
type BodyOf<Schema extends { _zod: { output: unknown } }> = Schema['_zod']['output'];

// ---------- request bodies and queries not exported as types by the protocol ----------
export type TeamListQuery = BodyOf<typeof teamListQuerySchema>;
export type KeyRotate = BodyOf<typeof keyRotateSchema>;
export type CreditsAdd = BodyOf<typeof creditsAddSchema>;
export type CreditsReplenish = BodyOf<typeof creditsReplenishSchema>;
export type CreditsAdjust = BodyOf<typeof creditsAdjustSchema>;
export type BudgetModeChange = BodyOf<typeof budgetModeSchema>;
export type ConversionRatesChange = BodyOf<typeof conversionRatesSchema>;
export type AutoRefillSettings = BodyOf<typeof autoRefillSchema>;
export type TransactionsQuery = BodyOf<typeof transactionsQuerySchema>;
export type CredentialUpdate = BodyOf<typeof credentialUpdateSchema>;
export type DeploymentUpdate = BodyOf<typeof deploymentUpdateSchema>;
export type ModelGroupUpdate = BodyOf<typeof modelGroupUpdateSchema>;
export type AccessGroupCreate = BodyOf<typeof accessGroupCreateSchema>;
export type AccessGroupUpdate = BodyOf<typeof accessGroupUpdateSchema>;
export type AccessGroupMembers = BodyOf<typeof accessGroupModelsSchema>;
export type AdminSetup = BodyOf<typeof adminSetupSchema>;
export type AdminLogin = BodyOf<typeof adminLoginSchema>;
export type AdminUserCreate = BodyOf<typeof adminUserCreateSchema>;
export type AdminUserUpdate = BodyOf<typeof adminUserUpdateSchema>;
export type ChangePassword = BodyOf<typeof changePasswordSchema>;
/** `from`/`to` are ISO date-times. */
export type AuditLogQuery = BodyOf<typeof auditQuerySchema>;

/** Filters of `GET /api/admin/jobs`. */
export interface AdminJobsQuery {
  team_id?: string;
  organization_id?: string;
  status?: string;
  job_type?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

/** Filters and grouping of `GET /api/admin/analytics`. */
export interface AnalyticsQuery {
  organization_id?: string;
  team_id?: string;
  from?: string;
  to?: string;
  group_by?: 'day' | 'team' | 'model_group' | 'deployment' | 'job_type';
}

/** `?force=true` deletes a resource that has history (it is soft-deleted either way). */
export interface DeleteOptions {
  force?: boolean;
}

// ---------- responses: the documented fields; the server may send more ----------

export interface Organization {
  organization_id: string;
  name: string;
  status: string;
  metadata?: Record<string, unknown>;
  created_at?: string;
  updated_at?: string;
}

/** A team with its credit account, settings and limits. */
export interface Team {
  team_id: string;
  organization_id: string;
  name?: string | null;
  status: TeamStatus;
  budget_mode?: BudgetMode;
  credits_allocated?: number;
  credits_used?: number;
  credits_remaining?: number;
  credits_reserved?: number;
  credits_per_dollar?: number;
  tokens_per_credit?: number;
  failed_job_policy?: FailedJobPolicy;
  cost_markup_percentage?: number;
  body_logging?: BodyLogging;
  access_groups?: string[];
  /** The model group names the team may call. */
  model_groups?: string[];
  rpm_limit?: number | null;
  tpm_limit?: number | null;
  max_concurrent_calls?: number | null;
  max_open_jobs?: number | null;
  metadata?: Record<string, unknown>;
  created_at?: string;
}

/** `POST /api/teams/create`: the team and its first virtual key, shown this once. */
export interface TeamCreated extends Team {
  virtual_key: string;
}

/** A virtual key as listed: never the key itself. */
export interface VirtualKey {
  key_id: string;
  team_id: string;
  name: string | null;
  prefix: string;
  created_at: string;
  expires_at?: string | null;
  revoked_at?: string | null;
  last_used_at?: string | null;
  rpm_limit?: number | null;
  tpm_limit?: number | null;
  allowed_model_groups?: string[] | null;
}

/** A key just created or rotated: the full key is in this answer only. */
export interface VirtualKeyCreated extends VirtualKey {
  key: string;
}

/** A team's credit account. `credits_available` = remaining − reserved. */
export interface CreditBalance {
  team_id: string;
  credits_allocated: number;
  credits_used: number;
  credits_remaining: number;
  credits_reserved?: number;
  credits_available?: number;
  budget_mode?: BudgetMode;
}

/** One append-only ledger row. */
export interface CreditTransaction {
  transaction_id?: string;
  team_id: string;
  /** `allocation`, `deduction`, `refund`, `adjustment` or `auto_refill`. */
  type: string;
  credits: number;
  balance_before?: number;
  balance_after?: number;
  job_id?: string | null;
  actor?: string | null;
  reason?: string | null;
  created_at: string;
}

export interface ConversionRates {
  credits_per_dollar: number;
  tokens_per_credit: number;
}

export interface AutoRefill {
  enabled?: boolean;
  refill_amount?: number | null;
  refill_period?: RefillPeriod | null;
}

/** A provider credential: the secret is write-only; only its last 4 characters come back. */
export interface ProviderCredential {
  credential_id: string;
  provider: ProviderName;
  name: string;
  api_key_last4?: string | null;
  api_base?: string | null;
  api_version?: string | null;
  organization_id?: string | null;
  active: boolean;
  created_at?: string;
}

/** A deployment (model alias): one concrete upstream model with its price. */
export interface Deployment {
  alias: string;
  provider: ProviderName;
  model: string;
  credential_id?: string | null;
  api_base?: string | null;
  input_price_per_million?: number | null;
  output_price_per_million?: number | null;
  cached_input_price_per_million?: number | null;
  context_window?: number | null;
  max_output_tokens?: number | null;
  capabilities?: { tools?: boolean; json_schema?: boolean; vision?: boolean; embeddings?: boolean };
  status: 'active' | 'inactive';
  timeout_ms?: number;
  settings?: Record<string, unknown>;
}

export interface ModelGroup {
  name: string;
  display_name?: string | null;
  description?: string | null;
  strategy?: GroupStrategy;
  num_retries?: number;
  retry_backoff_ms?: number;
  status?: 'active' | 'inactive';
  members?: GroupMember[];
}

/** Dry run of a model group's resolution: the candidates in order, and why the others were skipped. */
export interface ModelGroupResolution {
  name?: string;
  team_id?: string | null;
  candidates: Array<{ alias: string; [field: string]: unknown }>;
  skipped?: Array<{ alias: string; reason: string; [field: string]: unknown }>;
}

export interface AccessGroup {
  name: string;
  description?: string | null;
  model_groups: string[];
  deployments: string[];
}

export interface AdminUser {
  user_id: string;
  email: string;
  name?: string | null;
  role: AdminRole;
  status?: 'active' | 'disabled';
  created_at?: string;
  last_login_at?: string | null;
}

/** A login: the session token (also set as a cookie) and its expiry. */
export interface AdminSession {
  token: string;
  expires_at: string;
  user?: AdminUser;
}

export interface AuditLogEntry {
  actor: string;
  action: string;
  resource_type: string;
  resource_id?: string | null;
  ip?: string | null;
  diff?: unknown;
  status_code?: number;
  created_at: string;
}

/** A job as the operator sees it (provider cost and margin included). */
export interface AdminJob {
  job_id: string;
  team_id: string;
  job_type: string;
  status: string;
  created_at: string;
  completed_at?: string | null;
  costs?: Record<string, unknown>;
  [field: string]: unknown;
}

/** A job with every call: deployment, provider model, attempts, provider and client cost, margin, bodies. */
export interface AdminJobDetail extends AdminJob {
  calls?: Array<Record<string, unknown>>;
}

/** Analytics rows and totals; the fields follow `group_by`. */
export type AnalyticsReport = Record<string, unknown>;
/** Headline counters of the console's dashboard. */
export type DashboardStats = Record<string, unknown>;
/** The shipped price table merged with deployment prices. */
export type PricingTable = Record<string, unknown> | Array<Record<string, unknown>>;
/** Usage answers (organization usage) are summaries whose fields the server defines. */
export type UsageReport = Record<string, unknown>;
