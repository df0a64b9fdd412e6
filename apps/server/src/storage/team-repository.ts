import type { TeamStatus } from '@saas-llm/protocol';
import type { AccessGroupsOutcome, CreateTeamOutcome, DeleteTeamOutcome, NewTeam, TeamPatch, TeamRecord, TeamStore } from '../domain/teams.ts';
import type { NewVirtualKey } from '../domain/virtual-keys.ts';
import type { Database } from './database.ts';
import { insertVirtualKey, missingNames, selectTeam, selectTeams } from './tenancy-rows.ts';

const LIMIT_COLUMNS = { rpmLimit: 'rpm_limit', tpmLimit: 'tpm_limit', maxConcurrentCalls: 'max_concurrent_calls', maxOpenJobs: 'max_open_jobs' } as const;

/** Teams in PostgreSQL. Creation writes the team, its grants, opening credits and first key in one transaction. */
export class TeamRepository implements TeamStore {
  constructor(private readonly db: Database) {}

  create(team: NewTeam, grants: { accessGroups: string[]; initialCredits: { amountMicro: number; actor: string; reason: string } | null; firstKey: NewVirtualKey }): Promise<CreateTeamOutcome> {
    return this.db.transaction(async (tx): Promise<CreateTeamOutcome> => {
      // FOR SHARE: a concurrent deletion of the organization waits for this team to exist, and then sees it.
      const organization = await tx.query('SELECT 1 FROM organizations WHERE organization_id = $1 AND deleted_at IS NULL FOR SHARE', [team.organizationId]);
      if (organization.length === 0) return { kind: 'organization_not_found' };
      const unknown = await missingNames(tx, 'access_groups', grants.accessGroups);
      if (unknown.length > 0) return { kind: 'unknown_access_groups', names: unknown };
      const opening = grants.initialCredits?.amountMicro ?? 0;
      const inserted = await tx.query(
        `INSERT INTO teams (team_id, organization_id, name, status, cost_markup_percentage, body_logging, metadata, rpm_limit, tpm_limit,
                            max_concurrent_calls, max_open_jobs, budget_mode, failed_job_policy, credits_per_dollar, tokens_per_credit, credits_allocated)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (team_id) DO NOTHING RETURNING team_id`,
        [team.teamId, team.organizationId, team.name, team.status, team.costMarkupPercentage, team.bodyLogging, JSON.stringify(team.metadata),
          team.limits.rpmLimit, team.limits.tpmLimit, team.limits.maxConcurrentCalls, team.limits.maxOpenJobs, team.budgetMode,
          team.failedJobPolicy, team.creditsPerDollar, team.tokensPerCredit, opening],
      );
      if (inserted.length === 0) return { kind: 'duplicate' };
      if (grants.accessGroups.length > 0) {
        await tx.query('INSERT INTO team_access_groups (team_id, access_group_name) SELECT $1, unnest($2::text[])', [team.teamId, grants.accessGroups]);
      }
      if (grants.initialCredits) {
        await tx.query(
          `INSERT INTO credit_transactions (team_id, type, amount, balance_before, balance_after, actor, reason) VALUES ($1, 'allocation', $2, 0, $2, $3, $4)`,
          [team.teamId, opening, grants.initialCredits.actor, grants.initialCredits.reason],
        );
      }
      const key = await insertVirtualKey(tx, grants.firstKey);
      const created = await selectTeam(tx, team.teamId);
      return { kind: 'created', team: created!, key };
    });
  }

  get(teamId: string): Promise<TeamRecord | null> {
    return selectTeam(this.db, teamId);
  }

  list(filter: { organizationId?: string; status?: TeamStatus }): Promise<TeamRecord[]> {
    const conditions = ['true'];
    const params: unknown[] = [];
    if (filter.organizationId) { params.push(filter.organizationId); conditions.push(`t.organization_id = $${params.length}`); }
    if (filter.status) { params.push(filter.status); conditions.push(`t.status = $${params.length}`); }
    return selectTeams(this.db, conditions.join(' AND '), params);
  }

  async update(teamId: string, patch: TeamPatch): Promise<TeamRecord | null> {
    const params: unknown[] = [teamId];
    const sets: string[] = [];
    const set = (column: string, value: unknown, cast = '') => { params.push(value); sets.push(`${column} = $${params.length}${cast}`); };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.status !== undefined) set('status', patch.status);
    if (patch.costMarkupPercentage !== undefined) set('cost_markup_percentage', patch.costMarkupPercentage);
    if (patch.bodyLogging !== undefined) set('body_logging', patch.bodyLogging);
    if (patch.metadata !== undefined) set('metadata', JSON.stringify(patch.metadata), '::jsonb');
    if (patch.failedJobPolicy !== undefined) set('failed_job_policy', patch.failedJobPolicy);
    for (const [field, column] of Object.entries(LIMIT_COLUMNS) as Array<[keyof typeof LIMIT_COLUMNS, string]>) {
      const value = patch.limits?.[field];
      if (value !== undefined) set(column, value);
    }
    const updated = await this.db.query(
      `UPDATE teams SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE team_id = $1 AND deleted_at IS NULL RETURNING team_id`, params);
    return updated.length > 0 ? selectTeam(this.db, teamId) : null;
  }

  setAccessGroups(teamId: string, accessGroups: string[]): Promise<AccessGroupsOutcome> {
    return this.db.transaction(async (tx): Promise<AccessGroupsOutcome> => {
      const team = await tx.query('SELECT 1 FROM teams WHERE team_id = $1 AND deleted_at IS NULL FOR UPDATE', [teamId]);
      if (team.length === 0) return { kind: 'team_not_found' };
      const unknown = await missingNames(tx, 'access_groups', accessGroups);
      if (unknown.length > 0) return { kind: 'unknown_access_groups', names: unknown };
      await tx.query('DELETE FROM team_access_groups WHERE team_id = $1', [teamId]);
      if (accessGroups.length > 0) {
        await tx.query('INSERT INTO team_access_groups (team_id, access_group_name) SELECT $1, unnest($2::text[])', [teamId, accessGroups]);
      }
      await tx.query('UPDATE teams SET updated_at = now() WHERE team_id = $1', [teamId]);
      return { kind: 'updated', team: (await selectTeam(tx, teamId))! };
    });
  }

  softDelete(teamId: string, at: Date, force: boolean): Promise<DeleteTeamOutcome> {
    return this.db.transaction(async (tx): Promise<DeleteTeamOutcome> => {
      // The lock orders this against job creation, whose conditional UPDATE re-checks deleted_at.
      const team = await tx.query('SELECT 1 FROM teams WHERE team_id = $1 AND deleted_at IS NULL FOR UPDATE', [teamId]);
      if (team.length === 0) return { kind: 'not_found' };
      const history = await tx.query<{ jobs: number }>('SELECT count(*)::int AS jobs FROM jobs WHERE team_id = $1', [teamId]);
      const jobs = history[0]?.jobs ?? 0;
      if (jobs > 0 && !force) return { kind: 'has_history', jobs };
      await tx.query('UPDATE teams SET deleted_at = $2, updated_at = $2 WHERE team_id = $1', [teamId, at]);
      await tx.query('UPDATE virtual_keys SET revoked_at = $2 WHERE team_id = $1 AND revoked_at IS NULL', [teamId, at]);
      return { kind: 'deleted', deletedAt: at };
    });
  }
}
