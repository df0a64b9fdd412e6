import { sampleRegex } from './regex-sample.ts';
import type { SeededRandom } from './seeded-random.ts';

/*
 * Builds a JSON value that satisfies a JSON Schema, for the mock's structured outputs and tool-call
 * arguments. It covers what Pydantic and zod emit: objects (properties, required, additionalProperties,
 * min/maxProperties), arrays (items, prefixItems, min/maxItems, uniqueItems), enum, const, string formats
 * and lengths, numeric bounds (inclusive and exclusive, draft-4 and draft-6 forms, multipleOf), integer,
 * anyOf/oneOf (a non-null branch), allOf (merged), $ref into $defs/definitions (recursive schemas end by
 * leaving optional properties out past a depth), type lists, OpenAPI `nullable`, and `pattern`s simple
 * enough for `sampleRegex`. Not attempted: `not`, `if/then/else`, `patternProperties`, `contains`.
 */

type Schema = Record<string, unknown>;

/** Past this depth only required properties and minimum item counts are produced, so recursion ends. */
const SOFT_DEPTH = 6;
/** Past this depth a nullable value is null. */
const HARD_DEPTH = 24;

const FORMAT_SAMPLES: Record<string, string> = {
  'date-time': '2024-05-17T10:30:00Z',
  date: '2024-05-17',
  time: '10:30:00Z',
  duration: 'P3D',
  email: 'ada@example.com',
  'idn-email': 'ada@example.com',
  uri: 'https://example.com/resource',
  url: 'https://example.com/resource',
  'uri-reference': 'https://example.com/resource',
  iri: 'https://example.com/resource',
  hostname: 'example.com',
  'idn-hostname': 'example.com',
  ipv4: '192.0.2.10',
  ipv6: '2001:db8::10',
  'json-pointer': '/example/0',
  regex: '^[a-z]+$',
};

const HINTED_TEXT: ReadonlyArray<[RegExp, string]> = [
  [/first_?name/i, 'Ada'],
  [/last_?name|surname/i, 'Lovelace'],
  [/name/i, 'Ada Lovelace'],
  [/city/i, 'Paris'],
  [/country/i, 'France'],
  [/e_?mail/i, FORMAT_SAMPLES.email!],
  [/url|link|website/i, FORMAT_SAMPLES.uri!],
  [/phone/i, '+1-555-0100'],
  [/address|street/i, '1 Example Street'],
  [/company|organi[sz]ation/i, 'Example Corp'],
  [/title|headline/i, 'An example title'],
  [/summary|description|text|content|answer|reason/i, 'A short example text.'],
  [/language/i, 'English'],
  [/currency/i, 'EUR'],
];

const isRecord = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** True for schemas that only admit null (`{type: "null"}`, `{const: null}`, `{enum: [null]}`). */
function isNullOnly(schema: unknown): boolean {
  if (!isRecord(schema)) return false;
  if (schema.type === 'null' || schema.const === null) return true;
  return Array.isArray(schema.enum) && schema.enum.length > 0 && schema.enum.every((value) => value === null);
}

function decodePointer(segment: string): string {
  return decodeURIComponent(segment).replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Merges `allOf` members (and the schema's own keywords) into one schema: properties and required are unioned. */
function mergeSchemas(parts: Schema[]): Schema {
  const merged: Schema = {};
  for (const part of parts) {
    for (const [key, value] of Object.entries(part)) {
      if (key === 'properties' && isRecord(merged.properties) && isRecord(value)) merged.properties = { ...merged.properties, ...value };
      else if (key === 'required' && Array.isArray(merged.required) && Array.isArray(value)) merged.required = [...new Set([...merged.required, ...value])];
      else merged[key] = value;
    }
  }
  return merged;
}

function without(schema: Schema, ...keys: string[]): Schema {
  const copy = { ...schema };
  for (const key of keys) delete copy[key];
  return copy;
}

/** The first JSON type a schema admits, preferring non-null; inferred from its keywords when `type` is absent. */
function typeOf(schema: Schema): string | undefined {
  if (Array.isArray(schema.type)) return (schema.type.find((type) => type !== 'null') ?? schema.type[0]) as string | undefined;
  if (typeof schema.type === 'string') return schema.type;
  if ('properties' in schema || 'required' in schema || 'additionalProperties' in schema) return 'object';
  if ('items' in schema || 'prefixItems' in schema) return 'array';
  if ('minLength' in schema || 'maxLength' in schema || 'format' in schema || 'pattern' in schema) return 'string';
  if (['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'].some((key) => key in schema)) return 'number';
  return undefined;
}

class InstanceBuilder {
  constructor(private readonly root: unknown, private readonly random: SeededRandom) {}

  value(schema: unknown, depth: number, hint: string): unknown {
    // Only a schema with no finite instance (a required recursive property) gets this deep.
    if (schema === false || depth > 4 * HARD_DEPTH) return null;
    if (!isRecord(schema)) return this.text({}, hint);
    if (typeof schema.$ref === 'string') {
      return this.value(mergeSchemas([this.resolve(schema.$ref), without(schema, '$ref')]), depth + 1, hint);
    }
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum) && schema.enum.length > 0) {
      const choices = schema.enum.filter((value) => value !== null);
      return this.random.pick(choices.length > 0 ? choices : schema.enum);
    }
    if (Array.isArray(schema.allOf)) {
      const members = schema.allOf.map((member) => (isRecord(member) && typeof member.$ref === 'string' ? this.resolve(member.$ref) : member)).filter(isRecord);
      return this.value(mergeSchemas([...members, without(schema, 'allOf')]), depth, hint);
    }
    const branches = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : null;
    if (branches !== null && branches.length > 0) {
      const resolved = branches.map((branch) => (isRecord(branch) && typeof branch.$ref === 'string' ? this.resolve(branch.$ref) : branch));
      const usable = resolved.filter((branch) => !isNullOnly(branch));
      if (usable.length === 0 || (depth >= HARD_DEPTH && usable.length < resolved.length)) return null;
      const branch = usable[0];
      return this.value(isRecord(branch) ? mergeSchemas([without(schema, 'anyOf', 'oneOf', 'default'), branch]) : branch, depth, hint);
    }
    switch (typeOf(schema)) {
      case 'object': return this.object(schema, depth);
      case 'array': return this.array(schema, depth, hint);
      case 'string': return this.text(schema, hint);
      case 'integer': return this.number(schema, true);
      case 'number': return this.number(schema, false);
      case 'boolean': return this.random.next() < 0.5;
      case 'null': return null;
      default: return 'default' in schema ? schema.default : this.text({}, hint);
    }
  }

  private resolve(ref: string): Schema {
    if (!ref.startsWith('#')) throw new Error(`Only local $ref are supported, got "${ref}"`);
    let target: unknown = this.root;
    for (const segment of ref.slice(1).split('/').filter(Boolean)) {
      target = isRecord(target) ? target[decodePointer(segment)] : undefined;
    }
    if (!isRecord(target)) throw new Error(`Unresolvable $ref "${ref}"`);
    return target;
  }

  private object(schema: Schema, depth: number): Record<string, unknown> {
    const properties = isRecord(schema.properties) ? schema.properties : {};
    const required = Array.isArray(schema.required) ? schema.required.filter((key): key is string => typeof key === 'string') : [];
    let keys = Object.keys(properties);
    if (depth >= SOFT_DEPTH) keys = keys.filter((key) => required.includes(key));
    const maxProperties = num(schema.maxProperties);
    if (maxProperties !== undefined && keys.length > maxProperties) {
      keys = [...keys.filter((key) => required.includes(key)), ...keys.filter((key) => !required.includes(key))].slice(0, Math.max(maxProperties, required.length));
    }
    const result: Record<string, unknown> = {};
    for (const key of keys) result[key] = this.value(properties[key], depth + 1, key);
    const extra = schema.additionalProperties;
    const extraSchema = isRecord(extra) ? extra : { type: 'string' };
    for (const key of required) {
      if (!(key in result)) result[key] = this.value(properties[key] ?? extraSchema, depth + 1, key);
    }
    const minProperties = num(schema.minProperties) ?? 0;
    for (let index = 1; Object.keys(result).length < minProperties && extra !== false; index++) {
      result[`extra_${index}`] = this.value(extraSchema, depth + 1, 'extra');
    }
    return result;
  }

  private array(schema: Schema, depth: number, hint: string): unknown[] {
    const tuple = Array.isArray(schema.prefixItems) ? schema.prefixItems : Array.isArray(schema.items) ? schema.items : [];
    const rest = Array.isArray(schema.items) ? (schema.additionalItems ?? {}) : (schema.items ?? {});
    const minItems = num(schema.minItems) ?? 0;
    const maxItems = num(schema.maxItems) ?? Number.POSITIVE_INFINITY;
    const preferred = depth >= SOFT_DEPTH ? minItems : Math.max(minItems, Math.min(2, maxItems));
    const count = Math.max(preferred, Math.min(tuple.length, maxItems));
    const result: unknown[] = [];
    const seen = new Set<string>();
    for (let index = 0; index < count; index++) {
      const itemSchema = index < tuple.length ? tuple[index] : rest;
      if (itemSchema === false) break;
      let item = this.value(itemSchema, depth + 1, hint);
      // uniqueItems: draw again a few times; an enum smaller than minItems cannot be satisfied anyway.
      for (let attempt = 0; schema.uniqueItems === true && seen.has(JSON.stringify(item)) && attempt < 16; attempt++) {
        item = this.value(itemSchema, depth + 1, `${hint}_${index}_${attempt}`);
      }
      if (schema.uniqueItems === true && seen.has(JSON.stringify(item))) {
        if (result.length >= minItems) break;
        item = typeof item === 'string' ? `${item} ${index + 1}` : typeof item === 'number' ? item + index : item;
      }
      seen.add(JSON.stringify(item));
      result.push(item);
    }
    return result;
  }

  private text(schema: Schema, hint: string): string {
    const format = typeof schema.format === 'string' ? schema.format : undefined;
    if (format === 'uuid') return this.uuid();
    const minLength = num(schema.minLength) ?? 0;
    const maxLength = num(schema.maxLength) ?? Number.POSITIVE_INFINITY;
    const fitted = (value: string): string => {
      let result = value;
      if (Array.from(result).length < minLength) result = result + 'x'.repeat(minLength - Array.from(result).length);
      if (Array.from(result).length > maxLength) result = Array.from(result).slice(0, maxLength).join('');
      return result;
    };
    if (format !== undefined && FORMAT_SAMPLES[format] !== undefined) return FORMAT_SAMPLES[format]!;
    const base = HINTED_TEXT.find(([pattern]) => pattern.test(hint))?.[1] ?? (hint ? `example ${hint.replace(/_/g, ' ')}` : 'example text');
    if (typeof schema.pattern === 'string') {
      const pattern = new RegExp(schema.pattern, 'u');
      const sampled = sampleRegex(schema.pattern);
      const candidates = [base, hint, 'example', 'abc', 'ABC', '123', 'abc123', 'a', 'x'.repeat(Math.max(minLength, 1))];
      const match = [sampled, ...candidates.map(fitted)].find((candidate) => candidate !== null && pattern.test(candidate) && Array.from(candidate).length >= minLength && Array.from(candidate).length <= maxLength);
      if (match !== undefined && match !== null) return match;
    }
    return fitted(base);
  }

  private uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.random.int(0, 15).toString(16));
    hex[12] = '4';
    hex[16] = (8 + this.random.int(0, 3)).toString(16);
    const joined = hex.join('');
    return `${joined.slice(0, 8)}-${joined.slice(8, 12)}-${joined.slice(12, 16)}-${joined.slice(16, 20)}-${joined.slice(20)}`;
  }

  private number(schema: Schema, integer: boolean): number {
    // Draft 4 spells exclusivity as a boolean next to minimum/maximum; draft 6+ as a number of its own.
    const minimum = num(schema.minimum);
    const maximum = num(schema.maximum);
    const exclusiveMin = num(schema.exclusiveMinimum) ?? (schema.exclusiveMinimum === true ? minimum : undefined);
    const exclusiveMax = num(schema.exclusiveMaximum) ?? (schema.exclusiveMaximum === true ? maximum : undefined);
    const inclusiveMin = schema.exclusiveMinimum === true ? undefined : minimum;
    const inclusiveMax = schema.exclusiveMaximum === true ? undefined : maximum;
    const within = (value: number): boolean =>
      (inclusiveMin === undefined || value >= inclusiveMin) && (inclusiveMax === undefined || value <= inclusiveMax)
      && (exclusiveMin === undefined || value > exclusiveMin) && (exclusiveMax === undefined || value < exclusiveMax);
    const lowBounds = [inclusiveMin, exclusiveMin].filter((bound): bound is number => bound !== undefined);
    const highBounds = [inclusiveMax, exclusiveMax].filter((bound): bound is number => bound !== undefined);
    let low = lowBounds.length > 0 ? Math.max(...lowBounds) : undefined;
    let high = highBounds.length > 0 ? Math.min(...highBounds) : undefined;
    if (low === undefined) low = high === undefined ? 0 : Math.min(0, high - 100);
    if (high === undefined) high = low + 100;
    // Sample a readable window near zero of a wide range (zod emits ±MAX_SAFE_INTEGER for int()).
    if (high - low > 1000) {
      low = Math.min(Math.max(0, low), high);
      high = Math.min(high, low + 100);
    }
    const step = num(schema.multipleOf);
    if (step !== undefined && step > 0) {
      const decimals = (String(step).split('.')[1] ?? '').length;
      for (let k = Math.ceil(low / step); k * step <= high; k++) {
        const candidate = Number((k * step).toFixed(decimals));
        if (within(candidate) && (!integer || Number.isInteger(candidate))) return candidate;
      }
      return low;
    }
    if (integer) {
      const from = Number.isInteger(low) && within(low) ? low : Math.floor(low) + 1;
      const to = Number.isInteger(high) && within(high) ? high : Math.ceil(high) - 1;
      return to < from ? from : this.random.int(from, Math.min(to, from + 99));
    }
    const candidate = Math.round((low + (high - low) * (0.25 + 0.5 * this.random.next())) * 100) / 100;
    if (within(candidate)) return candidate;
    const middle = (low + high) / 2;
    return within(middle) ? middle : low;
  }
}

/**
 * A value valid against `schema` (best effort for the constructs listed above), deterministic for a given
 * `random`. `$ref`s resolve against the schema itself (its `$defs` / `definitions`).
 */
export function generateSchemaInstance(schema: unknown, random: SeededRandom): unknown {
  return new InstanceBuilder(schema, random).value(schema, 0, '');
}
