import type { GroupStrategy, ProviderName } from '@saas-llm/protocol';
import type { Capabilities, CatalogChangeListener, CatalogReader, GroupMemberRecord, TeamGrants } from './catalog-ports.ts';
import { CatalogSnapshot, type DeploymentEntry } from './catalog-snapshot.ts';
import type { EffectivePrice, ListPriceSource } from './deployment-pricing.ts';
import { DomainError, notFound } from './errors.ts';
import { DEFAULT_NUM_RETRIES, DEFAULT_RETRY_BACKOFF_MS } from './model-group-service.ts';
import { CredentialSecretCodec } from './provider-credential-service.ts';
import type { SecretBox } from './secret-box.ts';

/**
 * What a request needs from a deployment. json_schema (either spelling) never disqualifies one: it is
 * emulated where not native, and flagged on the candidate.
 */
export interface RequestNeeds {
  tools?: boolean;
  json_schema?: boolean;
  jsonSchema?: boolean;
  vision?: boolean;
  embeddings?: boolean;
  /** Counted prompt tokens; with `maxOutputTokens` they must fit the deployment's context window. */
  promptTokens?: number;
  maxOutputTokens?: number | null;
}

/** Why a member of the group is not a candidate for this request. */
export type SkipReason =
  | 'inactive'
  | 'credential_inactive'
  | 'credential_unavailable'
  | 'credential_unreadable'
  | 'missing_capability_tools'
  | 'missing_capability_vision'
  | 'missing_capability_embeddings'
  | 'context_window_too_small'
  | 'cooling_down';

export interface SkippedMember {
  alias: string;
  reason: SkipReason;
  /** A sentence for operators (never a secret). */
  detail: string;
}

/** How to reach a deployment: the shape of the providers' `DeploymentTarget`. */
export interface CandidateTarget {
  provider: ProviderName;
  /** The provider's model id. */
  model: string;
  /** Effective endpoint (deployment override, else credential); null = the adapter's default. */
  apiBase: string | null;
  /** Decrypted; null for providers that need none (mock). */
  apiKey: string | null;
  apiVersion: string | null;
  extraHeaders: Readonly<Record<string, string>>;
  timeoutMs: number;
  settings: Readonly<Record<string, unknown>>;
  /** The deployment's alias. */
  deploymentId: string;
}

/** One deployment to try, with everything the gateway needs to call and meter it. Frozen parts: do not mutate. */
export interface ResolvedCandidate {
  alias: string;
  credentialId: string | null;
  target: CandidateTarget;
  /** The deployment's own prices in nano-dollars per 1M tokens (null = not set). */
  prices: { inputNanos: number | null; outputNanos: number | null; cachedInputNanos: number | null };
  /** What calls are metered at: own prices, else the shipped table, else unpriced (with its source). */
  effectivePrice: EffectivePrice;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  capabilities: Capabilities;
  priority: number;
  weight: number;
  /** The request asks for json_schema and this deployment has no native support: emulate it (e.g. a forced tool call). */
  emulateJsonSchema: boolean;
}

/** The outcome of resolving a requested name: candidates in the order to try them, and why the others were left out. */
export interface Resolution {
  /** The name as requested (what tenants see in responses). */
  requestedName: string;
  kind: 'model_group' | 'deployment';
  /** The group's name, or null when the name is a deployment alias. */
  modelGroup: string | null;
  strategy: GroupStrategy;
  /** Retries of the same deployment before falling back to the next. */
  numRetries: number;
  retryBackoffMs: number;
  candidates: ResolvedCandidate[];
  skipped: SkippedMember[];
}

/** A model group as a team may see it: nothing about providers. */
export interface CallableModelGroup {
  name: string;
  displayName: string;
  description: string;
}

/**
 * Port: which deployments are in cooldown after repeated failures (implemented by the gateway). Asked for
 * every member on every resolution, including the operator's dry run, so it should not change state.
 */
export interface CooldownView {
  isCoolingDown(alias: string): boolean;
}

export interface ModelResolverOptions {
  /** Default: nothing is ever cooling down. */
  cooldowns?: CooldownView;
  /** Uniform in [0, 1); injectable so weighted spreading is testable. Default `Math.random`. */
  random?: () => number;
  /** The shipped price table, for deployments without their own prices. */
  prices?: ListPriceSource | null;
  /**
   * Cached catalog and grants are reloaded after this long even without an invalidation: the bound on
   * staleness for changes made by another instance (this one invalidates on its own changes). Default 60 s.
   */
  maxAgeMs?: number;
  now?: () => number;
}

interface Cached<T> { value: Promise<T>; loadedAt: number }

const NO_COOLDOWNS: CooldownView = { isCoolingDown: () => false };
// Bounds the per-team cache; past it the cache starts over (a reload per team is one small query).
const MAX_CACHED_TEAMS = 50_000;

/**
 * Resolves a requested name into ordered candidates (03-domain.md, "Resolution of a call"). The catalog
 * and each team's grants are held in memory and reloaded only after `invalidate()` (called by the catalog
 * services on every change, and by the team service when a team's access groups change) or `maxAgeMs`:
 * in the steady state a resolution costs no database round trip.
 */
export class ModelResolver implements CatalogChangeListener {
  private readonly codec: CredentialSecretCodec;
  private readonly cooldowns: CooldownView;
  private readonly random: () => number;
  private readonly prices: ListPriceSource | null;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private catalog: Cached<CatalogSnapshot> | null = null;
  private readonly teams = new Map<string, Cached<TeamGrants | null>>();

  constructor(private readonly reader: CatalogReader, box: SecretBox, options: ModelResolverOptions = {}) {
    this.codec = new CredentialSecretCodec(box);
    this.cooldowns = options.cooldowns ?? NO_COOLDOWNS;
    this.random = options.random ?? Math.random;
    this.prices = options.prices ?? null;
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Resolves `name` for `teamId` (null: no access check, for the operator's dry run). Throws 404
   * `model_not_found` when no group or deployment has that name (or the group is inactive), 403
   * `model_not_allowed` when the team's access groups (or the key's `allowedNames`) do not contain it,
   * and 404 `not_found` for an unknown team. An empty `candidates` list means nothing can serve the request now.
   */
  async resolve(name: string, teamId: string | null, needs: RequestNeeds = {}, options: { allowedNames?: readonly string[] | null } = {}): Promise<Resolution> {
    const snapshot = await this.snapshot();
    const group = snapshot.modelGroups.get(name) ?? null;
    const deployment = group ? null : snapshot.deployments.get(name) ?? null;
    if (!group && !deployment) throw new DomainError('model_not_found', `Model '${name}' was not found.`, 'model');
    const grants = teamId === null ? null : await this.requireGrants(teamId);
    if (grants) {
      const granted = snapshot.granted(grants.accessGroups);
      if (!(group ? granted.modelGroups : granted.deployments).has(name)) {
        throw new DomainError('model_not_allowed', `Model '${name}' is not available to team '${grants.teamId}'.`, 'model');
      }
    }
    if (options.allowedNames && !options.allowedNames.includes(name)) {
      throw new DomainError('model_not_allowed', `Model '${name}' is not allowed for this API key.`, 'model');
    }
    if (group?.status === 'inactive') throw new DomainError('model_not_found', `Model '${name}' is not available (inactive).`, 'model');

    const members: readonly GroupMemberRecord[] = group ? group.members : [{ alias: name, priority: 0, weight: 1, position: 0 }];
    const eligible: { member: GroupMemberRecord; entry: DeploymentEntry }[] = [];
    const skipped: SkippedMember[] = [];
    for (const member of members) {
      const entry = snapshot.deployments.get(member.alias);
      if (!entry) continue; // cannot happen while the foreign key holds; nothing to call either way
      const skip = this.skipReason(entry, needs, grants);
      if (skip) skipped.push({ alias: member.alias, ...skip });
      else eligible.push({ member, entry });
    }
    const strategy = group?.strategy ?? 'priority';
    const ordered = strategy === 'weighted' ? this.weightedOrder(eligible) : eligible;
    return {
      requestedName: name,
      kind: group ? 'model_group' : 'deployment',
      modelGroup: group ? group.name : null,
      strategy,
      numRetries: group?.numRetries ?? DEFAULT_NUM_RETRIES,
      retryBackoffMs: group?.retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS,
      candidates: ordered.map(({ member, entry }) => toCandidate(member, entry, needs)),
      skipped,
    };
  }

  /** The active model groups `teamId` may call (narrowed by a key's `allowedNames`), by name. */
  async callableModelGroups(teamId: string, allowedNames: readonly string[] | null = null): Promise<CallableModelGroup[]> {
    const snapshot = await this.snapshot();
    const granted = snapshot.granted((await this.requireGrants(teamId)).accessGroups);
    return [...granted.modelGroups]
      .map((name) => snapshot.modelGroups.get(name))
      .filter((group) => group !== undefined && group.status === 'active' && (!allowedNames || allowedNames.includes(group.name)))
      .map((group) => ({ name: group!.name, displayName: group!.displayName, description: group!.description }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Every name (model groups and deployments) the team's access groups grant; null for an unknown team. */
  async grantedNames(teamId: string): Promise<{ modelGroups: string[]; deployments: string[] } | null> {
    const grants = await this.teamGrants(teamId);
    if (!grants) return null;
    const granted = (await this.snapshot()).granted(grants.accessGroups);
    return { modelGroups: [...granted.modelGroups].sort(), deployments: [...granted.deployments].sort() };
  }

  /** Drops the cached catalog and every team's grants; the next resolution reloads them. */
  invalidate(): void {
    this.catalog = null;
    this.teams.clear();
  }

  /** Drops one team's cached grants (after its access groups change). */
  invalidateTeam(teamId: string): void {
    this.teams.delete(teamId);
  }

  private skipReason(entry: DeploymentEntry, needs: RequestNeeds, grants: TeamGrants | null): Omit<SkippedMember, 'alias'> | null {
    const { record, credential } = entry;
    if (record.status !== 'active') return { reason: 'inactive', detail: 'the deployment is inactive' };
    if (credential) {
      if (!credential.record.active) return { reason: 'credential_inactive', detail: `provider credential '${credential.record.name}' is inactive` };
      if (grants && credential.record.organizationId !== null && credential.record.organizationId !== grants.organizationId) {
        return { reason: 'credential_unavailable', detail: `provider credential '${credential.record.name}' is reserved for another organization` };
      }
      if (!credential.secrets) return { reason: 'credential_unreadable', detail: `provider credential '${credential.record.name}' does not decrypt with the current encryption key` };
    }
    for (const capability of ['tools', 'vision', 'embeddings'] as const) {
      if (needs[capability] && !record.capabilities[capability]) {
        return { reason: `missing_capability_${capability}`, detail: `the deployment does not support ${capability}` };
      }
    }
    if (needs.promptTokens !== undefined && record.contextWindow !== null) {
      const required = needs.promptTokens + (needs.maxOutputTokens ?? 0);
      if (required > record.contextWindow) {
        return { reason: 'context_window_too_small', detail: `the request needs ${required} tokens; the context window is ${record.contextWindow}` };
      }
    }
    // Last: a transient state, reported only when nothing permanent rules the deployment out.
    if (this.cooldowns.isCoolingDown(record.alias)) return { reason: 'cooling_down', detail: 'the deployment failed repeatedly and is cooling down' };
    return null;
  }

  /** Within each priority tier (best first), a weighted random order: each pick has probability weight / tier total. */
  private weightedOrder<T extends { member: GroupMemberRecord }>(eligible: readonly T[]): T[] {
    const tiers = new Map<number, T[]>();
    for (const item of eligible) tiers.set(item.member.priority, [...(tiers.get(item.member.priority) ?? []), item]);
    const ordered: T[] = [];
    for (const priority of [...tiers.keys()].sort((a, b) => a - b)) {
      const pool = [...tiers.get(priority)!];
      while (pool.length > 0) {
        let ticket = this.random() * pool.reduce((total, item) => total + item.member.weight, 0);
        let index = pool.findIndex((item) => (ticket -= item.member.weight) < 0);
        if (index < 0) index = pool.length - 1; // random() * total rounded up to total
        ordered.push(pool.splice(index, 1)[0]!);
      }
    }
    return ordered;
  }

  private snapshot(): Promise<CatalogSnapshot> {
    const cached = this.catalog;
    if (cached && this.now() - cached.loadedAt < this.maxAgeMs) return cached.value;
    const entry: Cached<CatalogSnapshot> = {
      value: this.reader.loadCatalog().then((rows) => CatalogSnapshot.build(rows, this.codec, this.prices)),
      loadedAt: this.now(),
    };
    this.catalog = entry;
    // A failed load must not stay cached; callers awaiting `entry.value` still receive the error.
    entry.value.catch(() => { if (this.catalog === entry) this.catalog = null; });
    return entry.value;
  }

  private teamGrants(teamId: string): Promise<TeamGrants | null> {
    const cached = this.teams.get(teamId);
    if (cached && this.now() - cached.loadedAt < this.maxAgeMs) return cached.value;
    if (this.teams.size >= MAX_CACHED_TEAMS) this.teams.clear();
    const entry: Cached<TeamGrants | null> = { value: this.reader.loadTeamGrants(teamId), loadedAt: this.now() };
    this.teams.set(teamId, entry);
    // Unknown teams and failures are not cached: a team created a moment later must be found.
    entry.value.then(
      (grants) => { if (!grants && this.teams.get(teamId) === entry) this.teams.delete(teamId); },
      () => { if (this.teams.get(teamId) === entry) this.teams.delete(teamId); },
    );
    return entry.value;
  }

  private async requireGrants(teamId: string): Promise<TeamGrants> {
    const grants = await this.teamGrants(teamId);
    if (!grants) throw notFound('Team', teamId);
    return grants;
  }
}

function toCandidate(member: GroupMemberRecord, entry: DeploymentEntry, needs: RequestNeeds): ResolvedCandidate {
  const { record, credential } = entry;
  return {
    alias: record.alias,
    credentialId: record.credentialId,
    target: entry.target,
    prices: { inputNanos: record.inputPriceNanos, outputNanos: record.outputPriceNanos, cachedInputNanos: record.cachedInputPriceNanos },
    effectivePrice: entry.price,
    contextWindow: record.contextWindow,
    maxOutputTokens: record.maxOutputTokens,
    capabilities: record.capabilities,
    priority: member.priority,
    weight: member.weight,
    emulateJsonSchema: Boolean(needs.json_schema ?? needs.jsonSchema) && !record.capabilities.jsonSchema,
  };
}
