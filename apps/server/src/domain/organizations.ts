import type { CallTotals } from './call-totals.ts';
import { conflict, invalid, notFound } from './errors.ts';
import type { TeamChangeFeed } from './team-changes.ts';
import type { VirtualKeyCache } from './virtual-keys.ts';

export type OrganizationStatus = 'active' | 'inactive';

/** A group of teams (one customer company). */
export interface OrganizationRecord {
  organizationId: string;
  name: string;
  status: OrganizationStatus;
  metadata: Record<string, unknown>;
  /** Teams not deleted. */
  teamCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewOrganization {
  organizationId: string;
  name: string;
  status: OrganizationStatus;
  metadata: Record<string, unknown>;
}

export interface OrganizationPatch {
  name?: string;
  status?: OrganizationStatus;
  metadata?: Record<string, unknown>;
}

/** Totals over a set of jobs; money in nano-dollars and micro-credits. */
export interface UsageTotals extends CallTotals {
  jobs: number;
  calls: number;
  creditsChargedMicro: number;
}

export interface OrganizationUsage {
  jobsByStatus: Record<string, number>;
  totals: UsageTotals;
  teams: Array<{ teamId: string } & UsageTotals>;
}

export type DeleteOrganizationOutcome =
  | { kind: 'deleted'; deletedAt: Date; teamIds: string[] }
  | { kind: 'not_found' }
  | { kind: 'has_history'; teams: number; jobs: number };

/** Port: organization rows and the job aggregates of their teams. */
export interface OrganizationStore {
  /** Null when the id is taken (also by a deleted organization). */
  insert(organization: NewOrganization): Promise<OrganizationRecord | null>;
  /** Not deleted organizations only. */
  get(organizationId: string): Promise<OrganizationRecord | null>;
  list(): Promise<OrganizationRecord[]>;
  update(organizationId: string, patch: OrganizationPatch): Promise<OrganizationRecord | null>;
  /**
   * Soft-deletes the organization under a lock; one with teams or jobs is refused unless `force`, which
   * also soft-deletes its teams and revokes their keys (returned in `teamIds`).
   */
  softDelete(organizationId: string, at: Date, force: boolean): Promise<DeleteOrganizationOutcome>;
  /** Jobs of every team of the organization (deleted teams included), created in [from, to). */
  usage(organizationId: string, range: { from: Date | null; to: Date | null }): Promise<OrganizationUsage>;
}

/** Creates, reads, changes and deletes organizations, and reports their usage. */
export class OrganizationService {
  constructor(
    private readonly store: OrganizationStore,
    private readonly keyCache: VirtualKeyCache,
    private readonly changes: TeamChangeFeed,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(organization: NewOrganization): Promise<OrganizationRecord> {
    const created = await this.store.insert(organization);
    if (!created) throw conflict(`Organization '${organization.organizationId}' already exists (organization ids stay taken after deletion).`);
    return created;
  }

  async get(organizationId: string): Promise<OrganizationRecord> {
    const organization = await this.store.get(organizationId);
    if (!organization) throw notFound('Organization', organizationId);
    return organization;
  }

  list(): Promise<OrganizationRecord[]> {
    return this.store.list();
  }

  async update(organizationId: string, patch: OrganizationPatch): Promise<OrganizationRecord> {
    const organization = await this.store.update(organizationId, patch);
    if (!organization) throw notFound('Organization', organizationId);
    return organization;
  }

  async delete(organizationId: string, force: boolean): Promise<{ organizationId: string; deletedAt: Date; teamIds: string[] }> {
    const outcome = await this.store.softDelete(organizationId, this.now(), force);
    switch (outcome.kind) {
      case 'deleted':
        for (const teamId of outcome.teamIds) {
          this.keyCache.forgetTeam(teamId);
          this.changes.publish(teamId);
        }
        return { organizationId, deletedAt: outcome.deletedAt, teamIds: outcome.teamIds };
      case 'not_found':
        throw notFound('Organization', organizationId);
      case 'has_history':
        throw conflict(
          `Organization '${organizationId}' has ${outcome.teams} team${outcome.teams === 1 ? '' : 's'} and ${outcome.jobs} job${outcome.jobs === 1 ? '' : 's'}; ` +
            'delete it with ?force=true (its teams are deleted with it, history is kept).',
        );
    }
  }

  async usage(organizationId: string, range: { from: Date | null; to: Date | null }): Promise<OrganizationUsage> {
    if (range.from && range.to && range.from >= range.to) throw invalid('from', 'must be before to');
    await this.get(organizationId);
    return this.store.usage(organizationId, range);
  }
}
