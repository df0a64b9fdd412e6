import { availableMicro, remainingMicro, type CreditAccount, type LedgerEntry } from '../../../domain/credit-ledger.ts';
import { microToCredits, nanosToUsd } from '../../../domain/money.ts';
import type { OrganizationRecord, OrganizationUsage, UsageTotals } from '../../../domain/organizations.ts';
import type { AuthenticatedKey } from '../../../domain/principals.ts';
import type { TeamRecord } from '../../../domain/teams.ts';
import { virtualKeyStatus, type VirtualKeyRecord } from '../../../domain/virtual-keys.ts';

// The wire form of tenancy and credits: credits as numbers of credits, USD as numbers, dates as ISO
// strings. Shapes are the protocol's `teamSchema`, `virtualKeySchema`, `creditTransactionSchema`, ….

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function organizationJson(organization: OrganizationRecord) {
  return {
    organization_id: organization.organizationId, name: organization.name, status: organization.status, metadata: organization.metadata,
    team_count: organization.teamCount, created_at: organization.createdAt.toISOString(), updated_at: organization.updatedAt.toISOString(),
  };
}

function usageTotalsJson(totals: UsageTotals) {
  return {
    total_jobs: totals.jobs, total_calls: totals.calls, prompt_tokens: totals.promptTokens, completion_tokens: totals.completionTokens,
    total_tokens: totals.totalTokens, provider_cost_usd: nanosToUsd(totals.providerCostNanos), client_cost_usd: nanosToUsd(totals.clientCostNanos),
    margin_usd: nanosToUsd(totals.clientCostNanos - totals.providerCostNanos), credits_charged: microToCredits(totals.creditsChargedMicro),
  };
}

export function organizationUsageJson(organizationId: string, range: { from: Date | null; to: Date | null }, usage: OrganizationUsage) {
  return {
    organization_id: organizationId, from: iso(range.from), to: iso(range.to),
    summary: { ...usageTotalsJson(usage.totals), jobs_by_status: usage.jobsByStatus },
    teams: usage.teams.map((team) => ({ team_id: team.teamId, ...usageTotalsJson(team) })),
  };
}

function creditFields(account: CreditAccount) {
  return {
    credits_allocated: microToCredits(account.allocatedMicro), credits_used: microToCredits(account.usedMicro),
    credits_reserved: microToCredits(account.reservedMicro), credits_remaining: microToCredits(remainingMicro(account)),
    credits_available: microToCredits(availableMicro(account)),
  };
}

function autoRefillJson(account: CreditAccount) {
  const refill = account.autoRefill;
  return { enabled: refill.enabled, refill_amount: refill.amountMicro === null ? null : microToCredits(refill.amountMicro), refill_period: refill.period };
}

/** The team as the operator sees it. */
export function teamJson(team: TeamRecord) {
  const account = team.account;
  return {
    team_id: team.teamId, organization_id: team.organizationId, name: team.name, status: team.status, budget_mode: account.budgetMode,
    ...creditFields(account),
    credits_per_dollar: account.creditsPerDollar, tokens_per_credit: account.tokensPerCredit, failed_job_policy: account.failedJobPolicy,
    cost_markup_percentage: team.costMarkupPercentage, body_logging: team.bodyLogging,
    limits: {
      rpm_limit: team.limits.rpmLimit, tpm_limit: team.limits.tpmLimit,
      max_concurrent_calls: team.limits.maxConcurrentCalls, max_open_jobs: team.limits.maxOpenJobs,
    },
    auto_refill: autoRefillJson(account), access_groups: team.accessGroups, model_groups: team.modelGroups, metadata: team.metadata,
    created_at: team.createdAt.toISOString(), updated_at: team.updatedAt.toISOString(),
  };
}

/** The team as its own key sees it: no markup, limits or operator metadata; model groups this key may call. */
export function teamSelfJson(team: TeamRecord, key: AuthenticatedKey) {
  const allowed = key.allowedModelGroups ? new Set(key.allowedModelGroups) : null;
  return {
    team_id: team.teamId, organization_id: team.organizationId, name: team.name, status: team.status, budget_mode: team.account.budgetMode,
    ...creditFields(team.account),
    model_groups: allowed ? team.modelGroups.filter((name) => allowed.has(name)) : team.modelGroups,
  };
}

export function balanceJson(account: CreditAccount) {
  return {
    team_id: account.teamId, organization_id: account.organizationId, status: account.status, budget_mode: account.budgetMode,
    ...creditFields(account),
    credits_per_dollar: account.creditsPerDollar, tokens_per_credit: account.tokensPerCredit, failed_job_policy: account.failedJobPolicy,
    auto_refill: autoRefillJson(account),
  };
}

export function transactionJson(entry: LedgerEntry) {
  return {
    transaction_id: String(entry.transactionId), team_id: entry.teamId, type: entry.type, amount: microToCredits(entry.amountMicro),
    balance_before: microToCredits(entry.balanceBeforeMicro), balance_after: microToCredits(entry.balanceAfterMicro), job_id: entry.jobId,
    actor: entry.actor, reason: entry.reason, payment_type: entry.paymentType,
    payment_amount_usd: entry.paymentAmountNanos === null ? null : nanosToUsd(entry.paymentAmountNanos), created_at: entry.createdAt.toISOString(),
  };
}

/** A key's record: the display prefix, never the key. */
export function virtualKeyJson(key: VirtualKeyRecord, now = new Date()) {
  return {
    key_id: key.keyId, team_id: key.teamId, name: key.name, prefix: key.prefix, status: virtualKeyStatus(key, now),
    created_at: key.createdAt.toISOString(), expires_at: iso(key.expiresAt), revoked_at: iso(key.revokedAt), last_used_at: iso(key.lastUsedAt),
    rpm_limit: key.rpmLimit, tpm_limit: key.tpmLimit, allowed_model_groups: key.allowedModelGroups,
  };
}
