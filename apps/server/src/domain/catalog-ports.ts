import type { GroupStrategy, ProviderName } from '@saas-llm/protocol';

/** Whether a deployment or model group takes traffic. */
export type CatalogStatus = 'active' | 'inactive';

/** What a deployment can serve; a request needing a missing capability skips it (json_schema is emulated instead). */
export interface Capabilities {
  tools: boolean;
  jsonSchema: boolean;
  vision: boolean;
  embeddings: boolean;
}

/** A provider credential as stored: secrets only as AES-GCM ciphertext (see `SecretBox`). */
export interface CredentialRecord {
  credentialId: string;
  provider: ProviderName;
  name: string;
  secretCiphertext: string | null;
  /** Last 4 characters of the key for display; null when there is no key or it is too short to show any of it. */
  secretLast4: string | null;
  apiBase: string | null;
  apiVersion: string | null;
  /** JSON object of extra upstream headers, encrypted like the key (they often carry tokens too). */
  extraHeadersCiphertext: string | null;
  /** null: usable by every organization. */
  organizationId: string | null;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}
export type NewCredential = Omit<CredentialRecord, 'createdAt' | 'updatedAt'>;
export type CredentialChanges = Partial<Omit<NewCredential, 'credentialId' | 'provider'>>;

/** A deployment (model alias) as stored; prices in nano-dollars per 1M tokens, null = not set. */
export interface DeploymentRecord {
  alias: string;
  provider: ProviderName;
  model: string;
  credentialId: string | null;
  apiBase: string | null;
  inputPriceNanos: number | null;
  outputPriceNanos: number | null;
  cachedInputPriceNanos: number | null;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  capabilities: Capabilities;
  status: CatalogStatus;
  timeoutMs: number;
  settings: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}
export type NewDeployment = Omit<DeploymentRecord, 'createdAt' | 'updatedAt'>;
export type DeploymentChanges = Partial<Omit<NewDeployment, 'alias'>>;

/** One member of a model group; `position` is the order the operator listed it in (breaks priority ties). */
export interface GroupMemberRecord {
  alias: string;
  priority: number;
  weight: number;
  position: number;
}

export interface ModelGroupRecord {
  name: string;
  displayName: string;
  description: string;
  strategy: GroupStrategy;
  numRetries: number;
  retryBackoffMs: number;
  status: CatalogStatus;
  /** In (priority, position) order. */
  members: GroupMemberRecord[];
  createdAt: Date;
  updatedAt: Date;
}
export type NewModelGroup = Omit<ModelGroupRecord, 'createdAt' | 'updatedAt'>;
export type ModelGroupChanges = Partial<Omit<NewModelGroup, 'name' | 'members'>>;

/** A named set of model groups and deployments that teams are granted. */
export interface AccessGroupRecord {
  name: string;
  description: string;
  modelGroups: string[];
  deployments: string[];
  createdAt: Date;
  updatedAt: Date;
}
export type NewAccessGroup = Omit<AccessGroupRecord, 'createdAt' | 'updatedAt'>;

/** Outcome of a delete that references may block (nothing is deleted when `in_use`). */
export type DeleteOutcome<Users> = { kind: 'deleted' } | { kind: 'not_found' } | { kind: 'in_use'; usedBy: Users };

/** Port: provider credentials. `insert`/`update` throw `conflict` on a duplicate name. */
export interface CredentialRepository {
  list(): Promise<CredentialRecord[]>;
  find(credentialId: string): Promise<CredentialRecord | null>;
  insert(credential: NewCredential): Promise<CredentialRecord>;
  update(credentialId: string, changes: CredentialChanges): Promise<CredentialRecord | null>;
  /** Refused while deployments use the credential; `usedBy` lists their aliases. */
  delete(credentialId: string): Promise<DeleteOutcome<string[]>>;
}

/** Port: deployments. `insert` throws `conflict` when the alias exists. */
export interface DeploymentRepository {
  list(): Promise<DeploymentRecord[]>;
  find(alias: string): Promise<DeploymentRecord | null>;
  /** The subset of `aliases` that exist. */
  existing(aliases: readonly string[]): Promise<Set<string>>;
  insert(deployment: NewDeployment): Promise<DeploymentRecord>;
  update(alias: string, changes: DeploymentChanges): Promise<DeploymentRecord | null>;
  /**
   * Refused while model groups use the alias or access groups grant it, unless `force`, which removes
   * those memberships in the same transaction.
   */
  delete(alias: string, force: boolean): Promise<DeleteOutcome<{ modelGroups: string[]; accessGroups: string[] }>>;
}

/** Port: model groups and their members. `insert` throws `conflict` when the name exists. */
export interface ModelGroupRepository {
  list(): Promise<ModelGroupRecord[]>;
  find(name: string): Promise<ModelGroupRecord | null>;
  existing(names: readonly string[]): Promise<Set<string>>;
  insert(group: NewModelGroup): Promise<ModelGroupRecord>;
  update(name: string, changes: ModelGroupChanges): Promise<ModelGroupRecord | null>;
  replaceMembers(name: string, members: readonly GroupMemberRecord[]): Promise<ModelGroupRecord | null>;
  /** Refused while access groups grant the group, unless `force`, which removes those grants. */
  delete(name: string, force: boolean): Promise<DeleteOutcome<string[]>>;
}

/** Port: access groups. `insert` throws `conflict` when the name exists. */
export interface AccessGroupRepository {
  list(): Promise<AccessGroupRecord[]>;
  find(name: string): Promise<AccessGroupRecord | null>;
  insert(group: NewAccessGroup): Promise<AccessGroupRecord>;
  updateDescription(name: string, description: string): Promise<AccessGroupRecord | null>;
  /** Replaces the members of each kind given; a kind left undefined keeps its members. */
  replaceMembers(name: string, members: { modelGroups?: readonly string[]; deployments?: readonly string[] }): Promise<AccessGroupRecord | null>;
  /** Refused while teams hold the access group, unless `force`, which revokes it from them. */
  delete(name: string, force: boolean): Promise<DeleteOutcome<string[]>>;
}

/** Everything resolution needs, read at once: the catalog is small (hundreds of rows) and changes rarely. */
export interface CatalogRows {
  credentials: CredentialRecord[];
  deployments: DeploymentRecord[];
  modelGroups: ModelGroupRecord[];
  accessGroups: AccessGroupRecord[];
}

/** What a team is granted: its organization (credentials may be restricted to one) and its access groups. */
export interface TeamGrants {
  teamId: string;
  organizationId: string;
  accessGroups: string[];
}

/** Port: the reads behind the in-memory resolution index. */
export interface CatalogReader {
  loadCatalog(): Promise<CatalogRows>;
  /** null when the team does not exist (or was deleted). */
  loadTeamGrants(teamId: string): Promise<TeamGrants | null>;
}

/** Port: told after every committed change to the catalog or to a team's grants, so caches drop what they hold. */
export interface CatalogChangeListener {
  invalidate(): void;
}
