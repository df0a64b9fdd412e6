import { conflict, invalid, notFound } from './errors.ts';
import type { AccessGroupRecord, AccessGroupRepository, CatalogChangeListener, DeploymentRepository, ModelGroupRepository } from './catalog-ports.ts';

/** The members of an access group as the API names them. */
export interface AccessGroupMembersInput {
  model_groups?: readonly string[] | undefined;
  deployments?: readonly string[] | undefined;
}

/** Access groups: named sets of model groups and deployments; a team may call what its access groups contain. */
export class AccessGroupService {
  constructor(
    private readonly accessGroups: AccessGroupRepository,
    private readonly modelGroups: ModelGroupRepository,
    private readonly deployments: DeploymentRepository,
    private readonly changes: CatalogChangeListener,
  ) {}

  list(): Promise<AccessGroupRecord[]> {
    return this.accessGroups.list();
  }

  async get(name: string): Promise<AccessGroupRecord> {
    const group = await this.accessGroups.find(name);
    if (!group) throw notFound('Access group', name);
    return group;
  }

  async create(input: { name: string; description?: string | undefined } & AccessGroupMembersInput): Promise<AccessGroupRecord> {
    const members = await this.validateMembers(input);
    const created = await this.accessGroups.insert({
      name: input.name,
      description: input.description ?? '',
      modelGroups: members.modelGroups ?? [],
      deployments: members.deployments ?? [],
    });
    this.changes.invalidate();
    return created;
  }

  async updateDescription(name: string, description: string | undefined): Promise<AccessGroupRecord> {
    const current = await this.get(name);
    if (description === undefined) return current;
    const updated = await this.accessGroups.updateDescription(name, description);
    if (!updated) throw notFound('Access group', name);
    return updated;
  }

  /** Replaces the members of each kind given (`model_groups`, `deployments`); a kind left out keeps its members. */
  async replaceMembers(name: string, input: AccessGroupMembersInput): Promise<AccessGroupRecord> {
    if (input.model_groups === undefined && input.deployments === undefined) throw invalid('model_groups', 'give model_groups, deployments or both');
    await this.get(name);
    const updated = await this.accessGroups.replaceMembers(name, await this.validateMembers(input));
    if (!updated) throw notFound('Access group', name);
    this.changes.invalidate();
    return updated;
  }

  async delete(name: string, force: boolean): Promise<void> {
    const outcome = await this.accessGroups.delete(name, force);
    if (outcome.kind === 'not_found') throw notFound('Access group', name);
    if (outcome.kind === 'in_use') {
      throw conflict(`Access group '${name}' is granted to team(s) ${outcome.usedBy.map((team) => `'${team}'`).join(', ')}; revoke it first, or delete with ?force=true to revoke it from them.`);
    }
    this.changes.invalidate();
  }

  /** Unknown names are a 400 naming the first one; duplicates collapse. */
  private async validateMembers(input: AccessGroupMembersInput): Promise<{ modelGroups?: string[]; deployments?: string[] }> {
    const members: { modelGroups?: string[]; deployments?: string[] } = {};
    if (input.model_groups !== undefined) {
      const names = [...new Set(input.model_groups)];
      const existing = await this.modelGroups.existing(names);
      const unknown = input.model_groups.findIndex((group) => !existing.has(group));
      if (unknown >= 0) throw invalid(`model_groups.${unknown}`, `model group '${input.model_groups[unknown]}' does not exist`);
      members.modelGroups = names;
    }
    if (input.deployments !== undefined) {
      const aliases = [...new Set(input.deployments)];
      const existing = await this.deployments.existing(aliases);
      const unknown = input.deployments.findIndex((alias) => !existing.has(alias));
      if (unknown >= 0) throw invalid(`deployments.${unknown}`, `deployment '${input.deployments[unknown]}' does not exist`);
      members.deployments = aliases;
    }
    return members;
  }
}
