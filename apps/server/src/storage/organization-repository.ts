import type {
  DeleteOrganizationOutcome, NewOrganization, OrganizationPatch, OrganizationRecord, OrganizationStatus, OrganizationStore, OrganizationUsage, UsageTotals,
} from '../domain/organizations.ts';
import type { Database, Queryable } from './database.ts';

interface OrganizationRow {
  organization_id: string; name: string; status: OrganizationStatus; metadata: Record<string, unknown> | null;
  team_count: number; created_at: Date; updated_at: Date;
}

const ORGANIZATION_COLUMNS = `o.organization_id, o.name, o.status, o.metadata, o.created_at, o.updated_at,
  (SELECT count(*)::int FROM teams t WHERE t.organization_id = o.organization_id AND t.deleted_at IS NULL) AS team_count`;

function toOrganizationRecord(row: OrganizationRow): OrganizationRecord {
  return {
    organizationId: row.organization_id, name: row.name, status: row.status, metadata: row.metadata ?? {},
    teamCount: row.team_count, createdAt: row.created_at, updatedAt: row.updated_at,
  };
}

async function selectOrganization(db: Queryable, organizationId: string): Promise<OrganizationRecord | null> {
  const rows = await db.query<OrganizationRow>(
    `SELECT ${ORGANIZATION_COLUMNS} FROM organizations o WHERE o.organization_id = $1 AND o.deleted_at IS NULL`, [organizationId]);
  return rows[0] ? toOrganizationRecord(rows[0]) : null;
}

interface UsageRow {
  key: string; jobs: number; calls: number; prompt_tokens: number; completion_tokens: number; total_tokens: number;
  provider_cost_nanos: number; client_cost_nanos: number; credits_charged: number;
}

const USAGE_SUMS = `count(*)::int AS jobs, COALESCE(sum(j.total_calls), 0)::bigint AS calls,
  COALESCE(sum(j.prompt_tokens), 0)::bigint AS prompt_tokens, COALESCE(sum(j.completion_tokens), 0)::bigint AS completion_tokens,
  COALESCE(sum(j.total_tokens), 0)::bigint AS total_tokens, COALESCE(sum(j.provider_cost_nanos), 0)::bigint AS provider_cost_nanos,
  COALESCE(sum(j.client_cost_nanos), 0)::bigint AS client_cost_nanos, COALESCE(sum(j.credits_charged), 0)::bigint AS credits_charged`;

function toUsageTotals(row: UsageRow): UsageTotals {
  return {
    jobs: row.jobs, calls: row.calls, promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens, totalTokens: row.total_tokens,
    providerCostNanos: row.provider_cost_nanos, clientCostNanos: row.client_cost_nanos, creditsChargedMicro: row.credits_charged,
  };
}

const ZERO_TOTALS: UsageTotals = { jobs: 0, calls: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0, providerCostNanos: 0, clientCostNanos: 0, creditsChargedMicro: 0 };

/** Organizations in PostgreSQL, and the job aggregates of their teams. */
export class OrganizationRepository implements OrganizationStore {
  constructor(private readonly db: Database) {}

  async insert(organization: NewOrganization): Promise<OrganizationRecord | null> {
    const inserted = await this.db.query(
      `INSERT INTO organizations (organization_id, name, status, metadata) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (organization_id) DO NOTHING RETURNING organization_id`,
      [organization.organizationId, organization.name, organization.status, JSON.stringify(organization.metadata)],
    );
    return inserted.length > 0 ? selectOrganization(this.db, organization.organizationId) : null;
  }

  get(organizationId: string): Promise<OrganizationRecord | null> {
    return selectOrganization(this.db, organizationId);
  }

  async list(): Promise<OrganizationRecord[]> {
    const rows = await this.db.query<OrganizationRow>(
      `SELECT ${ORGANIZATION_COLUMNS} FROM organizations o WHERE o.deleted_at IS NULL ORDER BY o.created_at, o.organization_id`);
    return rows.map(toOrganizationRecord);
  }

  async update(organizationId: string, patch: OrganizationPatch): Promise<OrganizationRecord | null> {
    const params: unknown[] = [organizationId];
    const sets: string[] = [];
    const set = (column: string, value: unknown, cast = '') => { params.push(value); sets.push(`${column} = $${params.length}${cast}`); };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.status !== undefined) set('status', patch.status);
    if (patch.metadata !== undefined) set('metadata', JSON.stringify(patch.metadata), '::jsonb');
    const updated = await this.db.query(
      `UPDATE organizations SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE organization_id = $1 AND deleted_at IS NULL RETURNING organization_id`, params);
    return updated.length > 0 ? selectOrganization(this.db, organizationId) : null;
  }

  softDelete(organizationId: string, at: Date, force: boolean): Promise<DeleteOrganizationOutcome> {
    return this.db.transaction(async (tx): Promise<DeleteOrganizationOutcome> => {
      // FOR UPDATE waits for team creations holding FOR SHARE on this row, so their teams are counted.
      const organization = await tx.query('SELECT 1 FROM organizations WHERE organization_id = $1 AND deleted_at IS NULL FOR UPDATE', [organizationId]);
      if (organization.length === 0) return { kind: 'not_found' };
      const history = await tx.query<{ teams: number; jobs: number }>(
        `SELECT (SELECT count(*)::int FROM teams WHERE organization_id = $1 AND deleted_at IS NULL) AS teams,
                (SELECT count(*)::int FROM jobs j JOIN teams t ON t.team_id = j.team_id WHERE t.organization_id = $1) AS jobs`,
        [organizationId],
      );
      const { teams, jobs } = history[0] ?? { teams: 0, jobs: 0 };
      if ((teams > 0 || jobs > 0) && !force) return { kind: 'has_history', teams, jobs };
      const deletedTeams = await tx.query<{ team_id: string }>(
        'UPDATE teams SET deleted_at = $2, updated_at = $2 WHERE organization_id = $1 AND deleted_at IS NULL RETURNING team_id', [organizationId, at]);
      const teamIds = deletedTeams.map((row) => row.team_id);
      if (teamIds.length > 0) {
        await tx.query('UPDATE virtual_keys SET revoked_at = $2 WHERE team_id = ANY($1::text[]) AND revoked_at IS NULL', [teamIds, at]);
      }
      await tx.query('UPDATE organizations SET deleted_at = $2, updated_at = $2 WHERE organization_id = $1', [organizationId, at]);
      return { kind: 'deleted', deletedAt: at, teamIds };
    });
  }

  async usage(organizationId: string, range: { from: Date | null; to: Date | null }): Promise<OrganizationUsage> {
    const conditions = ['t.organization_id = $1'];
    const params: unknown[] = [organizationId];
    if (range.from) { params.push(range.from); conditions.push(`j.created_at >= $${params.length}`); }
    if (range.to) { params.push(range.to); conditions.push(`j.created_at < $${params.length}`); }
    const from = `FROM jobs j JOIN teams t ON t.team_id = j.team_id WHERE ${conditions.join(' AND ')}`;
    const byStatus = await this.db.query<UsageRow>(`SELECT j.status AS key, ${USAGE_SUMS} ${from} GROUP BY j.status`, params);
    const byTeam = await this.db.query<UsageRow>(`SELECT j.team_id AS key, ${USAGE_SUMS} ${from} GROUP BY j.team_id ORDER BY j.team_id`, params);
    const totals = byStatus.map(toUsageTotals).reduce(addTotals, ZERO_TOTALS);
    return {
      jobsByStatus: Object.fromEntries(byStatus.map((row) => [row.key, row.jobs])),
      totals,
      teams: byTeam.map((row) => ({ teamId: row.key, ...toUsageTotals(row) })),
    };
  }
}

function addTotals(sum: UsageTotals, next: UsageTotals): UsageTotals {
  return {
    jobs: sum.jobs + next.jobs, calls: sum.calls + next.calls, promptTokens: sum.promptTokens + next.promptTokens,
    completionTokens: sum.completionTokens + next.completionTokens, totalTokens: sum.totalTokens + next.totalTokens,
    providerCostNanos: sum.providerCostNanos + next.providerCostNanos, clientCostNanos: sum.clientCostNanos + next.clientCostNanos,
    creditsChargedMicro: sum.creditsChargedMicro + next.creditsChargedMicro,
  };
}
