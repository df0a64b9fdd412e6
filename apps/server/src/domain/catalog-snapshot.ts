import type { AccessGroupRecord, CatalogRows, CredentialRecord, DeploymentRecord, ModelGroupRecord } from './catalog-ports.ts';
import { effectivePrice, type EffectivePrice, type ListPriceSource } from './deployment-pricing.ts';
import { CredentialSecretCodec, type CredentialSecrets } from './provider-credential-service.ts';
import type { CandidateTarget } from './model-resolution.ts';
import { SecretUnreadableError } from './secret-box.ts';

/** A credential as resolution sees it: decrypted once per snapshot, or marked unreadable. */
export interface CredentialEntry {
  record: CredentialRecord;
  /** null when a secret does not decrypt (e.g. the encryption key changed): the credential cannot be used. */
  secrets: CredentialSecrets | null;
}

/** A deployment with what calling it needs, precomputed: its credential, call target and effective price. */
export interface DeploymentEntry {
  record: DeploymentRecord;
  credential: CredentialEntry | null;
  target: CandidateTarget;
  price: EffectivePrice;
}

/** The names a set of access groups grants. */
export interface GrantedNames {
  modelGroups: ReadonlySet<string>;
  deployments: ReadonlySet<string>;
}

/**
 * An immutable in-memory index of the whole catalog, built from one read. Everything in it is frozen, so
 * the candidates handed to callers can share it without copies on the hot path.
 */
export class CatalogSnapshot {
  private constructor(
    readonly deployments: ReadonlyMap<string, DeploymentEntry>,
    readonly modelGroups: ReadonlyMap<string, ModelGroupRecord>,
    private readonly accessGroups: ReadonlyMap<string, AccessGroupRecord>,
  ) {}

  static build(rows: CatalogRows, codec: CredentialSecretCodec, prices: ListPriceSource | null): CatalogSnapshot {
    const credentials = new Map<string, CredentialEntry>();
    for (const record of rows.credentials) {
      let secrets: CredentialSecrets | null = null;
      try {
        secrets = codec.open(record);
      } catch (error) {
        if (!(error instanceof SecretUnreadableError)) throw error;
        // Left null on purpose: resolution reports the credential as unreadable instead of failing every call.
      }
      credentials.set(record.credentialId, deepFreeze({ record, secrets }));
    }
    const deployments = new Map<string, DeploymentEntry>();
    for (const record of rows.deployments) {
      const credential = record.credentialId ? credentials.get(record.credentialId) ?? null : null;
      // The deployment's endpoint override, else its credential's, else null (the adapter's default).
      const apiBase = record.apiBase ?? credential?.record.apiBase ?? null;
      const target: CandidateTarget = {
        provider: record.provider, model: record.model, apiBase,
        apiKey: credential?.secrets?.apiKey ?? null, apiVersion: credential?.record.apiVersion ?? null,
        extraHeaders: credential?.secrets?.extraHeaders ?? {}, timeoutMs: record.timeoutMs, settings: record.settings, deploymentId: record.alias,
      };
      deployments.set(record.alias, deepFreeze({ record, credential, target, price: effectivePrice(record, apiBase, prices) }));
    }
    return new CatalogSnapshot(
      deployments,
      // Members in trying order under the `priority` strategy: priority, then the order they were listed in.
      new Map(rows.modelGroups.map((group) => [group.name, deepFreeze({
        ...group, members: [...group.members].sort((a, b) => a.priority - b.priority || a.position - b.position),
      })])),
      new Map(rows.accessGroups.map((group) => [group.name, deepFreeze(group)])),
    );
  }

  /** Union of what the named access groups contain; names of access groups that no longer exist grant nothing. */
  granted(accessGroupNames: readonly string[]): GrantedNames {
    const modelGroups = new Set<string>();
    const deployments = new Set<string>();
    for (const name of accessGroupNames) {
      const group = this.accessGroups.get(name);
      if (!group) continue;
      for (const member of group.modelGroups) modelGroups.add(member);
      for (const member of group.deployments) deployments.add(member);
    }
    return { modelGroups, deployments };
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value) && !(value instanceof Date)) {
    for (const inner of Object.values(value as Record<string, unknown>)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
