import type { BodyLogging, BudgetMode, FailedJobPolicy, RefillPeriod, TeamStatus } from '@saas-llm/protocol';
import type { CreditAccount } from '../domain/credit-ledger.ts';
import type { TeamRecord } from '../domain/teams.ts';
import type { NewVirtualKey, VirtualKeyRecord } from '../domain/virtual-keys.ts';
import type { Queryable } from './database.ts';

/** A `teams` row; numeric columns arrive as strings, int8 as numbers. */
export interface TeamRow {
  team_id: string; organization_id: string; name: string; status: TeamStatus; cost_markup_percentage: string; body_logging: BodyLogging;
  metadata: Record<string, unknown> | null; rpm_limit: number | null; tpm_limit: number | null; max_concurrent_calls: number | null;
  max_open_jobs: number | null; credits_allocated: number; credits_used: number; credits_reserved: number; budget_mode: BudgetMode;
  credits_per_dollar: string; tokens_per_credit: number; failed_job_policy: FailedJobPolicy; refill_enabled: boolean;
  refill_amount: number | null; refill_period: RefillPeriod | null; created_at: Date; updated_at: Date;
}

interface TeamViewRow extends TeamRow {
  access_groups: string[] | null;
  model_groups: string[] | null;
}

/**
 * Team columns plus its access groups and the active model groups they grant (the names it may call).
 * Use as `SELECT ${TEAM_VIEW_COLUMNS} FROM teams t WHERE …`.
 */
export const TEAM_VIEW_COLUMNS = `t.*,
  COALESCE((SELECT array_agg(tag.access_group_name ORDER BY tag.access_group_name) FROM team_access_groups tag WHERE tag.team_id = t.team_id), '{}') AS access_groups,
  COALESCE((SELECT array_agg(DISTINCT agm.member_name ORDER BY agm.member_name)
              FROM team_access_groups tag
              JOIN access_group_members agm ON agm.access_group_name = tag.access_group_name AND agm.member_type = 'model_group'
              JOIN model_groups mg ON mg.name = agm.member_name AND mg.status = 'active'
             WHERE tag.team_id = t.team_id), '{}') AS model_groups`;

export function toCreditAccount(row: TeamRow): CreditAccount {
  return {
    teamId: row.team_id, organizationId: row.organization_id, status: row.status,
    allocatedMicro: row.credits_allocated, usedMicro: row.credits_used, reservedMicro: row.credits_reserved,
    budgetMode: row.budget_mode, failedJobPolicy: row.failed_job_policy,
    creditsPerDollar: Number(row.credits_per_dollar), tokensPerCredit: row.tokens_per_credit,
    autoRefill: { enabled: row.refill_enabled, amountMicro: row.refill_amount, period: row.refill_period },
  };
}

export function toTeamRecord(row: TeamViewRow): TeamRecord {
  return {
    teamId: row.team_id, organizationId: row.organization_id, name: row.name, status: row.status,
    costMarkupPercentage: Number(row.cost_markup_percentage), bodyLogging: row.body_logging, metadata: row.metadata ?? {},
    limits: { rpmLimit: row.rpm_limit, tpmLimit: row.tpm_limit, maxConcurrentCalls: row.max_concurrent_calls, maxOpenJobs: row.max_open_jobs },
    account: toCreditAccount(row), accessGroups: row.access_groups ?? [], modelGroups: row.model_groups ?? [],
    createdAt: row.created_at, updatedAt: row.updated_at,
  };
}

/** A not deleted team with its grants, or null. */
export async function selectTeam(db: Queryable, teamId: string): Promise<TeamRecord | null> {
  const rows = await db.query<TeamViewRow>(`SELECT ${TEAM_VIEW_COLUMNS} FROM teams t WHERE t.team_id = $1 AND t.deleted_at IS NULL`, [teamId]);
  return rows[0] ? toTeamRecord(rows[0]) : null;
}

export async function selectTeams(db: Queryable, where: string, params: readonly unknown[]): Promise<TeamRecord[]> {
  const rows = await db.query<TeamViewRow>(`SELECT ${TEAM_VIEW_COLUMNS} FROM teams t WHERE t.deleted_at IS NULL AND ${where} ORDER BY t.created_at, t.team_id`, params);
  return rows.map(toTeamRecord);
}

/** Names among `names` that are not rows of `table`.`column` (catalog references checked on write). */
export async function missingNames(db: Queryable, table: 'access_groups' | 'model_groups', names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const rows = await db.query<{ name: string }>(`SELECT name FROM ${table} WHERE name = ANY($1::text[])`, [names]);
  const found = new Set(rows.map((row) => row.name));
  return names.filter((name) => !found.has(name));
}

/** A `virtual_keys` row. */
export interface VirtualKeyRow {
  key_id: string; team_id: string; name: string; prefix: string; created_at: Date; expires_at: Date | null; revoked_at: Date | null;
  last_used_at: Date | null; rpm_limit: number | null; tpm_limit: number | null; allowed_model_groups: string[] | null;
}

export const VIRTUAL_KEY_COLUMNS = 'key_id, team_id, name, prefix, created_at, expires_at, revoked_at, last_used_at, rpm_limit, tpm_limit, allowed_model_groups';

export function toVirtualKeyRecord(row: VirtualKeyRow): VirtualKeyRecord {
  return {
    keyId: row.key_id, teamId: row.team_id, name: row.name, prefix: row.prefix, createdAt: row.created_at, expiresAt: row.expires_at,
    revokedAt: row.revoked_at, lastUsedAt: row.last_used_at, rpmLimit: row.rpm_limit, tpmLimit: row.tpm_limit,
    allowedModelGroups: row.allowed_model_groups,
  };
}

/** Inserts a key row and returns it. */
export async function insertVirtualKey(db: Queryable, key: NewVirtualKey): Promise<VirtualKeyRecord> {
  const rows = await db.query<VirtualKeyRow>(
    `INSERT INTO virtual_keys (key_id, team_id, name, prefix, key_hash, expires_at, rpm_limit, tpm_limit, allowed_model_groups)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[]) RETURNING ${VIRTUAL_KEY_COLUMNS}`,
    [key.keyId, key.teamId, key.name, key.prefix, key.keyHash, key.expiresAt, key.rpmLimit, key.tpmLimit, key.allowedModelGroups],
  );
  return toVirtualKeyRecord(rows[0]!);
}
