import Ajv2020 from 'ajv/dist/2020.js';
import AjvDraft07 from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { JsonSchemaObject } from '@saas-llm/protocol';

/** A compiled schema: returns the validation errors of a value (empty when it matches). */
export type CompiledSchema = (value: unknown) => string[];

/** The schema itself cannot be used (a bad `$ref`, an invalid keyword value, …). */
export class SchemaCompileError extends Error {
  override readonly name = 'SchemaCompileError';
}

/** Port: JSON Schema validation of structured outputs (ajv behind it). */
export interface SchemaValidator {
  /** Compiles (or reuses) a schema; throws `SchemaCompileError` when it cannot be compiled. */
  compile(schema: JsonSchemaObject): CompiledSchema;
}

// Distinct schemas a busy gateway sees are few (one per tenant response model); past this the cache starts over.
const MAX_CACHED_SCHEMAS = 1000;
const MAX_ERRORS_REPORTED = 20;
const DRAFT_07_FAMILY = /draft-0[4-7]/;

/**
 * Validates structured outputs with ajv 8 (+ ajv-formats). Schemas are written in whatever dialect
 * their tenant's tooling emits: zod (draft-07 through the OpenAI helper, 2020-12 natively), Pydantic
 * (2020-12 `$defs` without `$schema`), hand-written ones with OpenAI-only keywords. So: draft-04…07
 * schemas go to ajv's draft-07 engine and everything else to its 2020-12 engine; `$schema` is dropped
 * (ajv would try to fetch unknown meta-schemas); unknown keywords and formats are ignored rather than
 * refused — the gateway checks answers, it does not lint tenants' schemas.
 */
export class JsonSchemaValidator implements SchemaValidator {
  private modern: Ajv2020 | null = null;
  private draft07: AjvDraft07 | null = null;
  private readonly cache = new Map<string, CompiledSchema>();

  compile(schema: JsonSchemaObject): CompiledSchema {
    const key = JSON.stringify(schema);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const { $schema: dialect, ...body } = schema;
    const engine = typeof dialect === 'string' && DRAFT_07_FAMILY.test(dialect) ? this.draft07Engine() : this.modernEngine();
    let validate: ValidateFunction;
    try {
      validate = engine.compile(body);
    } catch (error) {
      throw new SchemaCompileError(error instanceof Error ? error.message : String(error), { cause: error });
    }
    const compiled: CompiledSchema = (value) => (validate(value) ? [] : describeErrors(validate.errors ?? []));
    if (this.cache.size >= MAX_CACHED_SCHEMAS) this.cache.clear();
    this.cache.set(key, compiled);
    return compiled;
  }

  private modernEngine(): Ajv2020 {
    this.modern ??= withFormats(new Ajv2020(ENGINE_OPTIONS));
    return this.modern;
  }

  private draft07Engine(): AjvDraft07 {
    this.draft07 ??= withFormats(new AjvDraft07(ENGINE_OPTIONS));
    return this.draft07;
  }
}

const ENGINE_OPTIONS = {
  allErrors: true,
  strict: false,
  validateSchema: false,
  // Tenants' schemas are data, not code: no console output about their unknown keywords.
  logger: false,
  // Each compile registers the schema under its `$id`; two tenants may use the same `$id` for different schemas.
  addUsedSchema: false,
} as const;

function withFormats<T extends Ajv2020 | AjvDraft07>(engine: T): T {
  addFormats(engine);
  return engine;
}

/** Ajv errors as short sentences a model (and a developer) can act on: where, and what is wrong. */
export function describeErrors(errors: readonly ErrorObject[]): string[] {
  const sentences: string[] = [];
  for (const error of errors) {
    if (sentences.length >= MAX_ERRORS_REPORTED) {
      sentences.push(`… and ${errors.length - MAX_ERRORS_REPORTED} more`);
      break;
    }
    const where = error.instancePath === '' ? 'the root value' : `'${error.instancePath}'`;
    const params = error.params as Record<string, unknown>;
    let detail = error.message ?? 'is invalid';
    if (error.keyword === 'additionalProperties') detail = `must not have the additional property '${String(params.additionalProperty)}'`;
    else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) detail = `must be one of ${JSON.stringify(params.allowedValues)}`;
    else if (error.keyword === 'const') detail = `must be ${JSON.stringify(params.allowedValue)}`;
    sentences.push(`${where} ${detail}`);
  }
  return sentences;
}
