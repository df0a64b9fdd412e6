import type { ChatCompletion, LlmCallRequest } from '@saas-llm/protocol';
import { DomainError } from '../domain/errors.ts';
import { nanosToUsd } from '../domain/money.ts';
import type { AuthenticatedKey } from '../domain/principals.ts';
import type { AdmittedCall, CallPipeline, CallRejection, SettledCall } from './call-pipeline.ts';
import { SchemaCompileError, type CompiledSchema } from './json-schema-validator.ts';
import { requestedJsonSchema } from './response-format.ts';

/*
 * Structured outputs validated at the gateway (docs/decisions/009-structured-output-validation.md): with
 * `validate: true` or `{max_retries: N}` on a json_schema call, `choices[0].message.content` is parsed and
 * checked against the schema; an invalid answer is re-asked with the errors, up to N times. Every attempt is
 * its own metered call in the same job (an invalid one is recorded `failed` with code `validation_failed`).
 */

/** Re-asks for `validate: true`. */
export const DEFAULT_VALIDATE_RETRIES = 2;

/** What to validate an answer against, and how many times to re-ask. */
export interface StructuredOutputSpec {
  schemaName: string;
  maxRetries: number;
  check: CompiledSchema;
}

/**
 * The validation a call asks for, or null. A `validate` without a json_schema response format, or with a
 * schema that does not compile, is a 400 before anything is admitted or metered.
 */
export function structuredOutputSpec(body: Pick<LlmCallRequest, 'validate' | 'response_format'>, pipeline: Pick<CallPipeline, 'schemas'>): StructuredOutputSpec | null {
  const option = body.validate;
  if (option === undefined || option === null || option === false) return null;
  const requested = requestedJsonSchema(body.response_format);
  if (!requested) {
    throw new DomainError('invalid_request', "'validate' needs a response_format of type json_schema: the schema to validate the answer against.", 'validate');
  }
  let check: CompiledSchema;
  try {
    check = pipeline.schemas.compile(requested.schema);
  } catch (error) {
    if (!(error instanceof SchemaCompileError)) throw error;
    throw new DomainError('invalid_request', `The json_schema of response_format cannot be used for validation: ${error.message}`, 'response_format.json_schema.schema');
  }
  return { schemaName: requested.name, maxRetries: option === true ? DEFAULT_VALIDATE_RETRIES : option.max_retries, check };
}

/** The validation errors of an answer's text (empty when it is JSON that matches the schema). */
export function contentErrors(spec: StructuredOutputSpec, content: string | null | undefined): string[] {
  if (typeof content !== 'string' || content.trim() === '') return ['the answer has no text content; a JSON value was expected'];
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return [`the answer is not valid JSON (${error.message})`];
  }
  return spec.check(value);
}

/** The error recorded on an invalid attempt, and the message of the final 422. */
export function validationRejection(spec: StructuredOutputSpec, errors: readonly string[], attempts: number): CallRejection {
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  return { code: 'validation_failed', message: `The model's answer does not match the JSON schema '${spec.schemaName}' (after ${tries}): ${errors.join('; ')}.` };
}

/** The follow-up user message of a re-ask: what was wrong, and what to send instead. */
export function reaskMessage(spec: StructuredOutputSpec, errors: readonly string[]): string {
  return [
    `Your previous answer does not match the JSON schema '${spec.schemaName}':`,
    ...errors.map((error) => `- ${error}`),
    'Answer again with only the corrected JSON value that matches the schema, and no other text.',
  ].join('\n');
}

/** Where a call goes and who hears about it. */
export interface CallPlacement {
  jobId: string;
  key: AuthenticatedKey;
  /** Aborts the upstream when the client goes away. */
  signal: AbortSignal | null;
  /** Told about each admitted call, in order (routes set `x-call-id` and add up upstream time). */
  onAdmitted?: (call: AdmittedCall) => void;
}

/** A non-streaming call's answer, after validation and re-asks when asked for. */
export interface CompletedCall {
  completion: ChatCompletion;
  /** The call whose answer is returned (the last one). */
  call: AdmittedCall;
  settled: SettledCall;
  /** Every metered call made for this request, in order. */
  calls: SettledCall[];
  /** Validation rounds (metered calls) when `validate` was asked for; null otherwise. */
  structuredAttempts: number | null;
  /** The response's `metadata`: with re-asks, upstream attempts, latency and cost are summed over every call. */
  metadata: SettledCall['metadata'] & { structured_attempts?: number };
}

/**
 * Makes one non-streaming call in a job; with `validate`, checks the answer and re-asks (the bad answer as an
 * assistant turn, then a user turn listing the errors) until it is valid or `max_retries` re-asks were made,
 * then throws 422 `validation_failed` naming the errors. A refusal is returned as it is: asking again would
 * pay for the same refusal. Upstream failures of any attempt end the request with their own error.
 */
export async function completeInJob(pipeline: CallPipeline, body: LlmCallRequest, placement: CallPlacement): Promise<CompletedCall> {
  const spec = structuredOutputSpec(body, pipeline);
  const calls: SettledCall[] = [];
  let request = body;
  for (let round = 1; ; round += 1) {
    const call = await pipeline.admit(placement.jobId, placement.key, request, false, placement.signal);
    placement.onAdmitted?.(call);
    let errors: string[] = [];
    const { completion, settled, rejection } = await pipeline.complete(call, spec ? (answer) => {
      const message = answer.choices[0]?.message;
      if (message?.refusal && !message.content) return null;
      errors = contentErrors(spec, message?.content);
      return errors.length > 0 ? validationRejection(spec, errors, round) : null;
    } : undefined);
    calls.push(settled);
    if (!spec) return { completion, call, settled, calls, structuredAttempts: null, metadata: settled.metadata };
    if (!rejection) return { completion, call, settled, calls, structuredAttempts: round, metadata: combinedMetadata(calls, round) };
    if (round > spec.maxRetries) {
      throw new DomainError('validation_failed', rejection.message, 'response_format', {
        errors, attempts: round, call_ids: calls.map((attempt) => attempt.record.callId),
      });
    }
    const badAnswer = completion.choices[0]?.message.content ?? '';
    request = {
      ...request,
      messages: [...request.messages, { role: 'assistant', content: badAnswer }, { role: 'user', content: reaskMessage(spec, errors) }],
    };
  }
}

function combinedMetadata(calls: readonly SettledCall[], rounds: number): CompletedCall['metadata'] {
  const last = calls.at(-1)!;
  const sum = (pick: (call: SettledCall) => number) => calls.reduce((total, call) => total + pick(call), 0);
  return {
    ...last.metadata,
    attempts: sum((call) => call.record.attempts.length),
    latency_ms: sum((call) => call.record.latencyMs),
    cost_usd: nanosToUsd(sum((call) => call.record.clientCostNanos)),
    structured_attempts: rounds,
  };
}
