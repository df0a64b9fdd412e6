import { randomUUID } from 'node:crypto';
import type { CredentialCreate, ProviderName, credentialUpdateSchema } from '@saas-llm/protocol';
import type { z } from 'zod';
import { conflict, invalid, notFound } from './errors.ts';
import { SecretBox, SecretUnreadableError } from './secret-box.ts';
import type { CatalogChangeListener, CredentialChanges, CredentialRecord, CredentialRepository } from './catalog-ports.ts';

export type CredentialUpdate = z.infer<typeof credentialUpdateSchema>;

/** A credential as the admin API shows it: never a secret, only whether there is one and its last 4 characters. */
export interface CredentialSummary {
  credentialId: string;
  provider: ProviderName;
  name: string;
  hasApiKey: boolean;
  apiKeyLast4: string | null;
  apiBase: string | null;
  apiVersion: string | null;
  /** Names of the extra headers (their values may be secrets); null when they cannot be decrypted. */
  extraHeaderNames: string[] | null;
  /** False when a stored secret no longer decrypts (typically: the encryption key was changed). */
  secretsReadable: boolean;
  organizationId: string | null;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** The decrypted material a call needs. Only the resolution path asks for it; it never reaches a response. */
export interface CredentialSecrets {
  apiKey: string | null;
  extraHeaders: Record<string, string>;
}

// Keys shorter than this show no last 4: on a short key, 4 characters are too large a share of it.
const MIN_KEY_LENGTH_FOR_LAST4 = 12;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
// Headers the HTTP client owns; letting an operator set them would corrupt the upstream request.
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer']);

const apiKeyContext = (credentialId: string) => `credential:${credentialId}:api_key`;
const headersContext = (credentialId: string) => `credential:${credentialId}:extra_headers`;

/** Seals and opens the secrets of a credential row. */
export class CredentialSecretCodec {
  constructor(private readonly box: SecretBox) {}

  sealApiKey(credentialId: string, apiKey: string): string { return this.box.seal(apiKey, apiKeyContext(credentialId)); }
  sealHeaders(credentialId: string, headers: Record<string, string>): string { return this.box.seal(JSON.stringify(headers), headersContext(credentialId)); }

  /** Throws `SecretUnreadableError` when a secret does not decrypt. */
  open(record: CredentialRecord): CredentialSecrets {
    const apiKey = record.secretCiphertext === null ? null : this.box.open(record.secretCiphertext, apiKeyContext(record.credentialId));
    const extraHeaders = record.extraHeadersCiphertext === null
      ? {}
      : JSON.parse(this.box.open(record.extraHeadersCiphertext, headersContext(record.credentialId))) as Record<string, string>;
    return { apiKey, extraHeaders };
  }
}

/**
 * Provider credentials: secrets are write-only (encrypted before they reach storage, never returned),
 * a non-mock provider needs an API key, and a credential that deployments use cannot be deleted.
 */
export class ProviderCredentialService {
  private readonly codec: CredentialSecretCodec;

  constructor(
    private readonly credentials: CredentialRepository,
    box: SecretBox,
    private readonly changes: CatalogChangeListener,
    private readonly newId: () => string = randomUUID,
  ) {
    this.codec = new CredentialSecretCodec(box);
  }

  async list(): Promise<CredentialSummary[]> {
    return (await this.credentials.list()).map((record) => this.summarize(record));
  }

  async get(credentialId: string): Promise<CredentialSummary> {
    return this.summarize(await this.require(credentialId));
  }

  async create(input: CredentialCreate): Promise<CredentialSummary> {
    const credentialId = this.newId();
    const apiKey = normalizeApiKey(input.api_key);
    if (apiKey === null && input.provider !== 'mock') throw invalid('api_key', `is required for provider '${input.provider}'`);
    const headers = input.extra_headers ? validateHeaders(input.extra_headers) : null;
    const record = await this.credentials.insert({
      credentialId,
      provider: input.provider,
      name: input.name,
      secretCiphertext: apiKey === null ? null : this.codec.sealApiKey(credentialId, apiKey),
      secretLast4: last4(apiKey),
      apiBase: input.api_base ?? null,
      apiVersion: input.api_version ?? null,
      extraHeadersCiphertext: headers ? this.codec.sealHeaders(credentialId, headers) : null,
      organizationId: input.organization_id ?? null,
      active: input.active ?? true,
    });
    this.changes.invalidate();
    return this.summarize(record);
  }

  async update(credentialId: string, input: CredentialUpdate): Promise<CredentialSummary> {
    const current = await this.require(credentialId);
    const changes: CredentialChanges = {};
    if (input.name !== undefined) changes.name = input.name;
    if (input.api_base !== undefined) changes.apiBase = input.api_base;
    if (input.api_version !== undefined) changes.apiVersion = input.api_version;
    if (input.organization_id !== undefined) changes.organizationId = input.organization_id;
    if (input.active !== undefined) changes.active = input.active;
    if (input.api_key !== undefined) {
      const apiKey = normalizeApiKey(input.api_key);
      if (apiKey === null && current.provider !== 'mock') throw invalid('api_key', `must not be empty for provider '${current.provider}'`);
      changes.secretCiphertext = apiKey === null ? null : this.codec.sealApiKey(credentialId, apiKey);
      changes.secretLast4 = last4(apiKey);
    }
    if (input.extra_headers !== undefined) {
      changes.extraHeadersCiphertext = input.extra_headers === null ? null : this.codec.sealHeaders(credentialId, validateHeaders(input.extra_headers));
    }
    const updated = await this.credentials.update(credentialId, changes);
    if (!updated) throw notFound('Provider credential', credentialId);
    this.changes.invalidate();
    return this.summarize(updated);
  }

  async setActive(credentialId: string, active: boolean): Promise<CredentialSummary> {
    return this.update(credentialId, { active });
  }

  async delete(credentialId: string): Promise<void> {
    const outcome = await this.credentials.delete(credentialId);
    if (outcome.kind === 'not_found') throw notFound('Provider credential', credentialId);
    if (outcome.kind === 'in_use') {
      throw conflict(`Provider credential '${credentialId}' is used by deployment(s) ${outcome.usedBy.map((alias) => `'${alias}'`).join(', ')}; move or delete them first.`);
    }
    this.changes.invalidate();
  }

  private async require(credentialId: string): Promise<CredentialRecord> {
    const record = await this.credentials.find(credentialId);
    if (!record) throw notFound('Provider credential', credentialId);
    return record;
  }

  private summarize(record: CredentialRecord): CredentialSummary {
    let extraHeaderNames: string[] | null = null;
    let secretsReadable = true;
    try {
      extraHeaderNames = Object.keys(this.codec.open(record).extraHeaders).sort();
    } catch (error) {
      if (!(error instanceof SecretUnreadableError)) throw error;
      secretsReadable = false;
    }
    return {
      credentialId: record.credentialId, provider: record.provider, name: record.name,
      hasApiKey: record.secretCiphertext !== null, apiKeyLast4: record.secretLast4,
      apiBase: record.apiBase, apiVersion: record.apiVersion, extraHeaderNames, secretsReadable,
      organizationId: record.organizationId, active: record.active, createdAt: record.createdAt, updatedAt: record.updatedAt,
    };
  }
}

/** Trims a pasted key (a trailing newline is common); null when nothing is left. Whitespace inside is refused. */
function normalizeApiKey(apiKey: string | undefined): string | null {
  if (apiKey === undefined) return null;
  const trimmed = apiKey.trim();
  if (trimmed.length === 0) return null;
  // A key travels in an HTTP header: control characters or spaces would break (or inject into) the request.
  if (/[\s\x00-\x1f\x7f]/.test(trimmed)) throw invalid('api_key', 'must not contain whitespace or control characters');
  return trimmed;
}

function last4(apiKey: string | null): string | null {
  return apiKey !== null && apiKey.length >= MIN_KEY_LENGTH_FOR_LAST4 ? apiKey.slice(-4) : null;
}

function validateHeaders(headers: Record<string, string>): Record<string, string> {
  const validated: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw invalid(`extra_headers.${name}`, 'is not a valid HTTP header name');
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw invalid(`extra_headers.${name}`, 'is set by the gateway and cannot be overridden');
    if (/[\r\n\x00]/.test(value)) throw invalid(`extra_headers.${name}`, 'the value must not contain line breaks');
    validated[name] = value;
  }
  return validated;
}
