import type { GroupMember, ModelGroupCreate, modelGroupUpdateSchema } from '@saas-llm/protocol';
import type { z } from 'zod';
import { conflict, invalid, notFound } from './errors.ts';
import type {
  CatalogChangeListener, DeploymentRepository, GroupMemberRecord, ModelGroupChanges, ModelGroupRecord, ModelGroupRepository,
} from './catalog-ports.ts';

export type ModelGroupUpdate = z.infer<typeof modelGroupUpdateSchema>;

// The same defaults as the schema's, stated once for the domain.
export const DEFAULT_NUM_RETRIES = 2;
export const DEFAULT_RETRY_BACKOFF_MS = 250;

/**
 * Model groups: the names tenants call, mapped to deployments with a strategy (`priority`: lowest first,
 * the rest are fallbacks; `weighted`: spread by weight among the best priority) and retry settings.
 */
export class ModelGroupService {
  constructor(
    private readonly groups: ModelGroupRepository,
    private readonly deployments: DeploymentRepository,
    private readonly changes: CatalogChangeListener,
  ) {}

  list(): Promise<ModelGroupRecord[]> {
    return this.groups.list();
  }

  async get(name: string): Promise<ModelGroupRecord> {
    const group = await this.groups.find(name);
    if (!group) throw notFound('Model group', name);
    return group;
  }

  async create(input: ModelGroupCreate): Promise<ModelGroupRecord> {
    const members = await this.validateMembers(input.members ?? []);
    const created = await this.groups.insert({
      name: input.name,
      displayName: input.display_name ?? input.name,
      description: input.description ?? '',
      strategy: input.strategy ?? 'priority',
      numRetries: input.num_retries ?? DEFAULT_NUM_RETRIES,
      retryBackoffMs: input.retry_backoff_ms ?? DEFAULT_RETRY_BACKOFF_MS,
      status: input.status ?? 'active',
      members,
    });
    this.changes.invalidate();
    return created;
  }

  async update(name: string, input: ModelGroupUpdate): Promise<ModelGroupRecord> {
    const changes: ModelGroupChanges = {};
    if (input.display_name !== undefined) changes.displayName = input.display_name;
    if (input.description !== undefined) changes.description = input.description;
    if (input.strategy !== undefined) changes.strategy = input.strategy;
    if (input.num_retries !== undefined) changes.numRetries = input.num_retries;
    if (input.retry_backoff_ms !== undefined) changes.retryBackoffMs = input.retry_backoff_ms;
    if (input.status !== undefined) changes.status = input.status;
    const updated = await this.groups.update(name, changes);
    if (!updated) throw notFound('Model group', name);
    this.changes.invalidate();
    return updated;
  }

  /** Replaces every member at once (the `PUT …/models` semantics). */
  async replaceMembers(name: string, members: readonly GroupMember[]): Promise<ModelGroupRecord> {
    await this.get(name);
    const updated = await this.groups.replaceMembers(name, await this.validateMembers(members));
    if (!updated) throw notFound('Model group', name);
    this.changes.invalidate();
    return updated;
  }

  async delete(name: string, force: boolean): Promise<void> {
    const outcome = await this.groups.delete(name, force);
    if (outcome.kind === 'not_found') throw notFound('Model group', name);
    if (outcome.kind === 'in_use') {
      throw conflict(`Model group '${name}' is granted by access group(s) ${outcome.usedBy.map((group) => `'${group}'`).join(', ')}; remove it there first, or delete with ?force=true to remove those grants too.`);
    }
    this.changes.invalidate();
  }

  /** Every alias must exist and appear once; priority defaults to 0 and weight to 1, list order is kept. */
  private async validateMembers(members: readonly GroupMember[]): Promise<GroupMemberRecord[]> {
    const seen = new Set<string>();
    members.forEach((member, index) => {
      if (seen.has(member.alias)) throw invalid(`members.${index}.alias`, `'${member.alias}' is listed twice`);
      seen.add(member.alias);
    });
    const existing = await this.deployments.existing(members.map((member) => member.alias));
    const unknownIndex = members.findIndex((member) => !existing.has(member.alias));
    if (unknownIndex >= 0) throw invalid(`members.${unknownIndex}.alias`, `deployment '${members[unknownIndex]!.alias}' does not exist`);
    return members.map((member, position) => ({ alias: member.alias, priority: member.priority ?? 0, weight: member.weight ?? 1, position }));
  }
}
