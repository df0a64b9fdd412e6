import shippedTable from './price-table.json' with { type: 'json' };

/** One model's list price as shipped, in USD per 1M tokens. */
export interface ModelListPrice {
  /** Who sells at this price: `openai`, `anthropic`, `gemini`, or an OpenAI-compatible host (`groq`, `together`, …). */
  family: string;
  /** The model id as the seller's API names it. */
  model: string;
  /** Other ids the seller accepts for the same model at the same price. */
  aliases: readonly string[];
  inputPerMillion: number;
  outputPerMillion: number;
  /** Price of prompt-cache hits; null when none is published or it was not verified. */
  cachedInputPerMillion: number | null;
  /** Date of the newest public price source this entry was checked against. */
  asOf: string;
}

/** The shipped price table: list prices per model plus the API hosts that identify each seller. */
export interface PriceTable {
  /** The day the table was compiled. */
  asOf: string;
  currency: 'USD';
  note: string;
  /** Family → API hostnames, so an OpenAI-compatible deployment is priced by the host it calls. */
  hosts: Readonly<Record<string, readonly string[]>>;
  models: readonly ModelListPrice[];
}

/** What is known about the deployment being priced, besides its model id. */
export interface PriceLookupQuery {
  /** The gateway provider: `openai`, `azure`, `anthropic`, `gemini`, `openai-compatible` or `mock`. */
  provider?: string;
  /** The effective API base; a known host decides the family (e.g. `api.groq.com` → groq). */
  apiBase?: string | null;
}

/** A found price, and whether the id matched exactly or only after removing a snapshot suffix. */
export interface PriceMatch {
  price: ModelListPrice;
  match: 'exact' | 'normalized';
}

/** Gateway providers whose list prices are a family of the table; the rest are priced by host. */
const PROVIDER_FAMILY: Readonly<Record<string, string>> = { openai: 'openai', azure: 'openai', anthropic: 'anthropic', gemini: 'gemini' };

// Snapshot and channel suffixes providers append to a model family's id. Stripped one at a time, in a loop,
// so `gemini-2.5-flash-preview-05-20` tries `gemini-2.5-flash-preview`, then `gemini-2.5-flash`.
const SNAPSHOT_SUFFIXES: readonly RegExp[] = [
  /-\d{4}-\d{2}-\d{2}$/, // gpt-4o-2024-08-06
  /[-@]\d{8}$/, // claude-3-5-haiku-20241022, Vertex's claude-3-5-sonnet@20240620
  /-v\d+(?::\d+)?$/, // Bedrock's …-v1:0
  /-\d{2}-\d{4}$/, // …-11-2025
  /-\d{2}-\d{2}$/, // gemini-2.5-flash-preview-05-20
  /-\d{3,4}$/, // gemini-1.5-pro-002, mistral-large-2411
  /-(?:latest|preview|exp)$/,
];
// Routing prefixes that name the same model: Gemini's `models/`, Bedrock's `[region.]anthropic.`.
const ROUTING_PREFIXES: readonly RegExp[] = [/^models\//, /^(?:[a-z]{2}\.)?anthropic\./];

/** Validates the shipped JSON (or another table in the same format) into a frozen `PriceTable`. */
export function parsePriceTable(raw: unknown): PriceTable {
  const table = raw as Record<string, unknown>;
  if (typeof table !== 'object' || table === null || !Array.isArray(table.models)) throw new Error('price table: `models` must be an array');
  if (typeof table.as_of !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(table.as_of)) throw new Error('price table: `as_of` must be a YYYY-MM-DD date');
  const hosts: Record<string, readonly string[]> = {};
  for (const [family, names] of Object.entries((table.hosts ?? {}) as Record<string, unknown>)) {
    if (!Array.isArray(names) || !names.every((name) => typeof name === 'string')) throw new Error(`price table: hosts.${family} must be a list of hostnames`);
    hosts[family] = Object.freeze(names.map((name: string) => name.toLowerCase()));
  }
  const models = table.models.map((entry: Record<string, unknown>, index: number): ModelListPrice => {
    const where = `price table: models[${index}]`;
    const price = (field: string, nullable: boolean): number | null => {
      const value = entry[field];
      if (nullable && (value === null || value === undefined)) return null;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`${where}.${field} must be a number ≥ 0`);
      return value;
    };
    if (typeof entry.provider !== 'string' || typeof entry.model !== 'string' || entry.model.length === 0) throw new Error(`${where} needs provider and model`);
    if (typeof entry.as_of !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(entry.as_of)) throw new Error(`${where}.as_of must be a YYYY-MM-DD date`);
    const aliases = Array.isArray(entry.aliases) ? entry.aliases.filter((alias): alias is string => typeof alias === 'string') : [];
    return Object.freeze({
      family: entry.provider, model: entry.model, aliases: Object.freeze(aliases),
      inputPerMillion: price('input', false)!, outputPerMillion: price('output', false)!, cachedInputPerMillion: price('cached_input', true),
      asOf: entry.as_of,
    });
  });
  return Object.freeze({ asOf: table.as_of, currency: 'USD', note: typeof table.note === 'string' ? table.note : '', hosts: Object.freeze(hosts), models: Object.freeze(models) });
}

/** Looks up list prices by model id: exact id first, then the id without snapshot/date suffixes. */
export class PriceBook {
  private readonly byId = new Map<string, ModelListPrice[]>();
  private readonly familyByHost = new Map<string, string>();

  constructor(readonly table: PriceTable) {
    for (const price of table.models) {
      for (const id of [price.model, ...price.aliases]) {
        const key = id.toLowerCase();
        this.byId.set(key, [...(this.byId.get(key) ?? []), price]);
      }
    }
    for (const [family, hosts] of Object.entries(table.hosts)) for (const host of hosts) this.familyByHost.set(host, family);
  }

  /**
   * The list price of `model` as sold by the deployment's family (its known API host first, else its
   * provider). When neither identifies a seller (an unknown OpenAI-compatible host), a price is returned
   * only if every seller of that id charges the same; `mock` deployments are never priced from the table.
   */
  lookup(model: string, query: PriceLookupQuery = {}): PriceMatch | null {
    if (query.provider === 'mock') return null;
    const family = this.familyOfHost(query.apiBase ?? null) ?? (query.provider ? PROVIDER_FAMILY[query.provider] ?? null : null);
    for (const candidate of idCandidates(model)) {
      const sellers = this.byId.get(candidate.toLowerCase());
      if (!sellers) continue;
      const price = family ? sellers.find((seller) => seller.family === family) : unanimous(sellers);
      if (price) return { price, match: candidate === model ? 'exact' : 'normalized' };
      if (family) continue;
      return null; // sold at different prices by different hosts, and we cannot tell which one this is
    }
    return null;
  }

  private familyOfHost(apiBase: string | null): string | null {
    if (!apiBase) return null;
    const host = URL.canParse(apiBase) ? new URL(apiBase).hostname.toLowerCase() : null;
    return host ? this.familyByHost.get(host) ?? null : null;
  }
}

/** `model` itself, then each shorter form after removing a routing prefix and snapshot suffixes. */
function idCandidates(model: string): string[] {
  const candidates = [model];
  let current = model;
  for (const prefix of ROUTING_PREFIXES) current = current.replace(prefix, '');
  if (current !== model) candidates.push(current);
  for (let guard = 0; guard < 6; guard += 1) {
    const suffix = SNAPSHOT_SUFFIXES.find((pattern) => pattern.test(current));
    if (!suffix) break;
    current = current.replace(suffix, '');
    candidates.push(current);
  }
  return candidates;
}

function unanimous(sellers: readonly ModelListPrice[]): ModelListPrice | null {
  const [first] = sellers;
  if (!first) return null;
  const same = sellers.every((seller) => seller.inputPerMillion === first.inputPerMillion && seller.outputPerMillion === first.outputPerMillion
    && seller.cachedInputPerMillion === first.cachedInputPerMillion);
  return same ? first : null;
}

/** The price table that ships with this version of the gateway. */
export const SHIPPED_PRICE_TABLE: PriceTable = parsePriceTable(shippedTable);
