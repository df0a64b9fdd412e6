import { z } from 'zod';
import { isoDateSchema, slugSchema, uuidSchema } from './common.ts';
import { BODY_LOGGING, BUDGET_MODES, FAILED_JOB_POLICIES, REFILL_PERIODS, TEAM_STATUSES } from './admin.ts';

// Wire shapes of organizations, teams, virtual keys and the credit ledger (04-admin-api.md and the
// self-service reads of 02-client-api.md). Credits travel as numbers of credits (6 decimals at most),
// dates as ISO strings.

// ---------- path and query parameters ----------
export const organizationParamsSchema = z.strictObject({ organization_id: slugSchema });
export const teamParamsSchema = z.strictObject({ team_id: slugSchema });
export const teamKeyParamsSchema = z.strictObject({ team_id: slugSchema, key_id: uuidSchema });
/** `GET /api/organizations/{id}/usage`: an optional time range on the jobs' creation time. */
export const organizationUsageQuerySchema = z.strictObject({ from: isoDateSchema.optional(), to: isoDateSchema.optional() });
/** `POST /api/credits/teams/{id}/check` also takes `credits_needed` in the query, as the Python original did. */
export const creditCheckQuerySchema = z.strictObject({
  credits_needed: z.coerce.number().finite().min(0).max(1e9).optional(),
});

// ---------- organizations ----------
/** An organization: a group of teams. */
export const organizationSchema = z.object({
  organization_id: z.string(), name: z.string(), status: z.enum(['active', 'inactive']),
  metadata: z.record(z.string(), z.unknown()), team_count: z.number(), created_at: z.string(), updated_at: z.string(),
});
export const organizationListSchema = z.object({ organizations: z.array(organizationSchema) });

const usageTotals = {
  total_jobs: z.number(), total_calls: z.number(), prompt_tokens: z.number(), completion_tokens: z.number(),
  total_tokens: z.number(), provider_cost_usd: z.number(), client_cost_usd: z.number(), margin_usd: z.number(), credits_charged: z.number(),
};
/** `GET /api/organizations/{id}/usage`: the jobs of every team of the organization, deleted teams included. */
export const organizationUsageSchema = z.object({
  organization_id: z.string(), from: z.string().nullable(), to: z.string().nullable(),
  summary: z.object({ ...usageTotals, jobs_by_status: z.record(z.string(), z.number()) }),
  teams: z.array(z.object({ team_id: z.string(), ...usageTotals })),
});

// ---------- teams ----------
export const teamLimitsViewSchema = z.object({
  rpm_limit: z.number().nullable(), tpm_limit: z.number().nullable(),
  max_concurrent_calls: z.number().nullable(), max_open_jobs: z.number().nullable(),
});
export const autoRefillViewSchema = z.object({ enabled: z.boolean(), refill_amount: z.number().nullable(), refill_period: z.enum(REFILL_PERIODS).nullable() });
/** A team as the operator sees it (admin API). */
export const teamSchema = z.object({
  team_id: z.string(), organization_id: z.string(), name: z.string(), status: z.enum(TEAM_STATUSES), budget_mode: z.enum(BUDGET_MODES),
  credits_allocated: z.number(), credits_used: z.number(), credits_reserved: z.number(), credits_remaining: z.number(), credits_available: z.number(),
  credits_per_dollar: z.number(), tokens_per_credit: z.number(), failed_job_policy: z.enum(FAILED_JOB_POLICIES),
  cost_markup_percentage: z.number(), body_logging: z.enum(BODY_LOGGING), limits: teamLimitsViewSchema, auto_refill: autoRefillViewSchema,
  access_groups: z.array(z.string()), model_groups: z.array(z.string()), metadata: z.record(z.string(), z.unknown()),
  created_at: z.string(), updated_at: z.string(),
});
/** A team as its own virtual key sees it: no markup, limits or operator metadata. */
export const teamSelfSchema = z.object({
  team_id: z.string(), organization_id: z.string(), name: z.string(), status: z.enum(TEAM_STATUSES), budget_mode: z.enum(BUDGET_MODES),
  credits_allocated: z.number(), credits_used: z.number(), credits_reserved: z.number(), credits_remaining: z.number(), credits_available: z.number(),
  model_groups: z.array(z.string()),
});
export const teamListSchema = z.object({ teams: z.array(z.union([teamSchema, teamSelfSchema])) });

// ---------- virtual keys ----------
/** A virtual key's record: the display prefix, never the key. */
export const virtualKeySchema = z.object({
  key_id: z.string(), team_id: z.string(), name: z.string(), prefix: z.string(), status: z.enum(['active', 'revoked', 'expired']),
  created_at: z.string(), expires_at: z.string().nullable(), revoked_at: z.string().nullable(), last_used_at: z.string().nullable(),
  rpm_limit: z.number().nullable(), tpm_limit: z.number().nullable(), allowed_model_groups: z.array(z.string()).nullable(),
});
/** The answer of key creation and rotation: the only time the full `key` is shown. */
export const createdVirtualKeySchema = virtualKeySchema.extend({ key: z.string() });
export const rotatedVirtualKeySchema = createdVirtualKeySchema.extend({ rotated_from: virtualKeySchema });
export const virtualKeyListSchema = z.object({ team_id: z.string(), keys: z.array(virtualKeySchema) });
/** `POST /api/teams/create`: the team plus its first virtual key, shown once. */
export const createdTeamSchema = teamSchema.extend({ virtual_key: z.string(), key: virtualKeySchema });

// ---------- credits ----------
export const LEDGER_ENTRY_TYPES = ['allocation', 'deduction', 'refund', 'adjustment', 'auto_refill'] as const;
export type LedgerEntryType = (typeof LEDGER_ENTRY_TYPES)[number];
/** `GET /api/credits/teams/{id}/transactions` filters; `cursor` is the `next_cursor` of the previous page. */
export const ledgerQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().regex(/^\d{1,18}$/, 'must be the next_cursor of a previous page').optional(),
  type: z.enum(LEDGER_ENTRY_TYPES).optional(),
});
/** One append-only ledger row; `amount` is signed (+ adds to the balance), balances are credits remaining. */
export const creditTransactionSchema = z.object({
  transaction_id: z.string(), team_id: z.string(), type: z.enum(LEDGER_ENTRY_TYPES), amount: z.number(),
  balance_before: z.number(), balance_after: z.number(), job_id: z.string().nullable(), actor: z.string(), reason: z.string().nullable(),
  payment_type: z.enum(['subscription', 'one_time']).nullable(), payment_amount_usd: z.number().nullable(), created_at: z.string(),
});
export const creditTransactionPageSchema = z.object({ team_id: z.string(), transactions: z.array(creditTransactionSchema), next_cursor: z.string().nullable() });
/** A team's credit account. `credits_available` = remaining − reserved. */
export const creditBalanceSchema = z.object({
  team_id: z.string(), organization_id: z.string(), status: z.enum(TEAM_STATUSES), budget_mode: z.enum(BUDGET_MODES),
  credits_allocated: z.number(), credits_used: z.number(), credits_reserved: z.number(), credits_remaining: z.number(), credits_available: z.number(),
  credits_per_dollar: z.number(), tokens_per_credit: z.number(), failed_job_policy: z.enum(FAILED_JOB_POLICIES), auto_refill: autoRefillViewSchema,
});
/** The answer of add, replenish, adjust: the ledger row written and the balance after it. */
export const creditChangeSchema = z.object({ team_id: z.string(), transaction: creditTransactionSchema, balance: creditBalanceSchema });
export const creditCheckResultSchema = z.object({
  team_id: z.string(), sufficient: z.boolean(), credits_needed: z.number(), credits_available: z.number(), credits_remaining: z.number(),
});
export const conversionRatesViewSchema = z.object({ team_id: z.string(), credits_per_dollar: z.number(), tokens_per_credit: z.number() });
