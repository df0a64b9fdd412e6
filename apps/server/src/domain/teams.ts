import type { BodyLogging, BudgetMode, FailedJobPolicy, TeamStatus } from '@saas-llm/protocol';
import type { CreditAccount } from './credit-ledger.ts';
import { DomainError, conflict, invalid, notFound } from './errors.ts';
import type { TeamChangeFeed } from './team-changes.ts';
import type { KeySettings, NewVirtualKey, VirtualKeyCache, VirtualKeyRecord, VirtualKeyService } from './virtual-keys.ts';

/** Optional per-team limits; null = no limit. */
export interface TeamLimits {
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxConcurrentCalls: number | null;
  maxOpenJobs: number | null;
}

/** A team (tenant) with its credit account and what it was granted. */
export interface TeamRecord {
  teamId: string;
  organizationId: string;
  name: string;
  status: TeamStatus;
  costMarkupPercentage: number;
  bodyLogging: BodyLogging;
  metadata: Record<string, unknown>;
  limits: TeamLimits;
  account: CreditAccount;
  accessGroups: string[];
  /** Active model groups reachable through the team's access groups: the names it may call. */
  modelGroups: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** A team as created: the record's own settings, plus the terms its credit account opens with. */
export interface NewTeam extends Pick<TeamRecord, 'teamId' | 'organizationId' | 'name' | 'status' | 'costMarkupPercentage' | 'bodyLogging' | 'metadata' | 'limits'> {
  budgetMode: BudgetMode;
  failedJobPolicy: FailedJobPolicy;
  creditsPerDollar: number;
  tokensPerCredit: number;
}

/** What `PUT /api/teams/{id}` may change; undefined = unchanged, null limit = no limit. */
export interface TeamPatch {
  name?: string;
  status?: TeamStatus;
  costMarkupPercentage?: number;
  bodyLogging?: BodyLogging;
  metadata?: Record<string, unknown>;
  failedJobPolicy?: FailedJobPolicy;
  limits?: Partial<TeamLimits>;
}

export type CreateTeamOutcome =
  | { kind: 'created'; team: TeamRecord; key: VirtualKeyRecord }
  | { kind: 'duplicate' }
  | { kind: 'organization_not_found' }
  | { kind: 'unknown_access_groups'; names: string[] };

export type AccessGroupsOutcome =
  | { kind: 'updated'; team: TeamRecord }
  | { kind: 'team_not_found' }
  | { kind: 'unknown_access_groups'; names: string[] };

export type DeleteTeamOutcome =
  | { kind: 'deleted'; deletedAt: Date }
  | { kind: 'not_found' }
  | { kind: 'has_history'; jobs: number };

/** Port: team rows, their access groups, and the writes that must be atomic with a team's creation. */
export interface TeamStore {
  /**
   * In one transaction: the team, its access groups, the opening `allocation` ledger row (when
   * `initialCredits` is set) and its first virtual key.
   */
  create(team: NewTeam, grants: { accessGroups: string[]; initialCredits: { amountMicro: number; actor: string; reason: string } | null; firstKey: NewVirtualKey }): Promise<CreateTeamOutcome>;
  /** Not deleted teams only. */
  get(teamId: string): Promise<TeamRecord | null>;
  list(filter: { organizationId?: string; status?: TeamStatus }): Promise<TeamRecord[]>;
  update(teamId: string, patch: TeamPatch): Promise<TeamRecord | null>;
  /** Replaces the team's access groups; unknown names change nothing. */
  setAccessGroups(teamId: string, accessGroups: string[]): Promise<AccessGroupsOutcome>;
  /**
   * Soft-deletes the team and revokes its keys, under a lock on the team; a team with jobs is refused
   * unless `force`.
   */
  softDelete(teamId: string, at: Date, force: boolean): Promise<DeleteTeamOutcome>;
}

/** Everything `POST /api/teams/create` takes, in domain units. */
export interface TeamCreation {
  team: NewTeam;
  accessGroups: string[];
  initialCreditsMicro: number;
  firstKey: KeySettings;
}

/** Creates, reads, changes, suspends and deletes teams. */
export class TeamService {
  constructor(
    private readonly store: TeamStore,
    private readonly keys: VirtualKeyService,
    private readonly keyCache: VirtualKeyCache,
    private readonly changes: TeamChangeFeed,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates the team with its grants and first key; the raw key is returned here only. */
  async create(input: TeamCreation, actor: string): Promise<{ team: TeamRecord; key: VirtualKeyRecord; rawKey: string }> {
    if (input.initialCreditsMicro < 0) throw invalid('credits_allocated', 'must be 0 or more');
    const { row, rawKey } = this.keys.prepare(input.team.teamId, input.firstKey, 'default');
    const outcome = await this.store.create(input.team, {
      accessGroups: [...new Set(input.accessGroups)],
      initialCredits: input.initialCreditsMicro > 0 ? { amountMicro: input.initialCreditsMicro, actor, reason: 'Initial allocation' } : null,
      firstKey: row,
    });
    switch (outcome.kind) {
      case 'created':
        this.keyCache.forgetHash(row.keyHash);
        return { team: outcome.team, key: outcome.key, rawKey };
      case 'duplicate':
        throw conflict(`Team '${input.team.teamId}' already exists (team ids stay taken after deletion).`);
      case 'organization_not_found':
        throw new DomainError('invalid_request', `organization_id: organization '${input.team.organizationId}' does not exist.`, 'organization_id');
      case 'unknown_access_groups':
        throw unknownAccessGroups(outcome.names);
    }
  }

  async get(teamId: string): Promise<TeamRecord> {
    const team = await this.store.get(teamId);
    if (!team) throw notFound('Team', teamId);
    return team;
  }

  list(filter: { organizationId?: string; status?: TeamStatus }): Promise<TeamRecord[]> {
    return this.store.list(filter);
  }

  async update(teamId: string, patch: TeamPatch): Promise<TeamRecord> {
    const team = await this.store.update(teamId, patch);
    if (!team) throw notFound('Team', teamId);
    this.changes.publish(teamId);
    return team;
  }

  /** suspend / pause / resume: the client API answers 403 team_suspended / team_paused meanwhile. */
  setStatus(teamId: string, status: TeamStatus): Promise<TeamRecord> {
    return this.update(teamId, { status });
  }

  async setAccessGroups(teamId: string, accessGroups: string[]): Promise<TeamRecord> {
    const outcome = await this.store.setAccessGroups(teamId, [...new Set(accessGroups)]);
    switch (outcome.kind) {
      case 'updated':
        this.changes.publish(teamId);
        return outcome.team;
      case 'team_not_found':
        throw notFound('Team', teamId);
      case 'unknown_access_groups':
        throw unknownAccessGroups(outcome.names);
    }
  }

  /** Soft delete: history stays for accounting, the team's keys stop working. */
  async delete(teamId: string, force: boolean): Promise<{ teamId: string; deletedAt: Date }> {
    const outcome = await this.store.softDelete(teamId, this.now(), force);
    switch (outcome.kind) {
      case 'deleted':
        this.keyCache.forgetTeam(teamId);
        this.changes.publish(teamId);
        return { teamId, deletedAt: outcome.deletedAt };
      case 'not_found':
        throw notFound('Team', teamId);
      case 'has_history':
        throw conflict(`Team '${teamId}' has ${outcome.jobs} job${outcome.jobs === 1 ? '' : 's'} of history; delete it with ?force=true (its history is kept).`);
    }
  }
}

function unknownAccessGroups(names: string[]): DomainError {
  return invalid('access_groups', `unknown access group${names.length > 1 ? 's' : ''} ${names.map((name) => `'${name}'`).join(', ')}`);
}
