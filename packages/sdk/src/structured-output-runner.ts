import type { z } from 'zod';
import type { ChatStream } from './chat-stream.ts';
import type { ChatParams, LlmCallResponse } from './client-types.ts';
import { parsePartialJson, type DeepPartial } from './partial-json.ts';
import {
  StructuredOutputError, reaskMessages, responseFormatFor, splitStructuredParams, validateAnswer,
  type StructuredOutputParams, type StructuredStreamEvent,
} from './structured-output.ts';

const DEFAULT_MAX_RETRIES = 2;

type Attempts = StructuredOutputError['attempts'][number][];

/**
 * The Instructor loop over non-streaming calls: call with the schema's response format, validate, and on
 * failure re-ask with the validation errors, up to `maxRetries` times. Each attempt is one `call`.
 */
export async function runStructuredOutput<Schema extends z.ZodType>(
  call: (params: ChatParams) => Promise<LlmCallResponse>,
  params: StructuredOutputParams<Schema>,
): Promise<z.output<Schema>> {
  const { options, chat, responseFormat, maxRetries } = planLoop(params);
  const attempts: Attempts = [];
  let messages = chat.messages;
  for (let attempt = 0; attempt <= maxRetries; attempt += 1) {
    const response = await call({ ...chat, messages, response_format: responseFormat });
    const message = response.choices.find((choice) => choice.index === 0)?.message;
    const content = message?.content ?? '';
    if (message?.refusal) {
      // A refusal is a decision, not a formatting slip: asking again would only bill another call.
      attempts.push({ content, issues: [`The model refused: ${message.refusal}`], callId: response.call_id });
      throw new StructuredOutputError(`The model refused to answer: ${message.refusal}`, attempts);
    }
    const checked = validateAnswer(options.responseModel, content);
    if (checked.ok) return checked.value;
    attempts.push({ content, issues: checked.issues, callId: response.call_id });
    messages = reaskMessages(messages, content, checked.issues);
  }
  throw exhausted(attempts);
}

/**
 * The same loop over streaming calls: a `partial` event per content chunk (the object parsed so far),
 * a `retry` event when an answer failed validation and the model is re-asked, and a `final` event with
 * the validated value. Stopping the iteration cancels the call in flight.
 */
export async function* streamStructuredOutput<Schema extends z.ZodType>(
  openStream: (params: ChatParams) => ChatStream,
  params: StructuredOutputParams<Schema>,
): AsyncGenerator<StructuredStreamEvent<z.output<Schema>>, void, undefined> {
  const { options, chat, responseFormat, maxRetries } = planLoop(params);
  const attempts: Attempts = [];
  let messages = chat.messages;
  for (let attempt = 0; attempt <= maxRetries; attempt += 1) {
    const stream = openStream({ ...chat, messages, response_format: responseFormat });
    for await (const chunk of stream) {
      const delta = chunk.choices.find((choice) => choice.index === 0)?.delta.content;
      if (!delta) continue;
      const parsed = parsePartialJson(stream.content);
      yield { type: 'partial', partial: parsed?.value as DeepPartial<z.output<Schema>> | undefined, delta, attempt };
    }
    const checked = validateAnswer(options.responseModel, stream.content);
    if (checked.ok) {
      yield { type: 'final', value: checked.value, attempt, callId: stream.callId };
      return;
    }
    attempts.push({ content: stream.content, issues: checked.issues, callId: stream.callId });
    if (attempt < maxRetries) yield { type: 'retry', attempt: attempt + 1, issues: checked.issues, content: stream.content };
    messages = reaskMessages(messages, stream.content, checked.issues);
  }
  throw exhausted(attempts);
}

/** What both loops start from: the plain chat request, the response format asked for, and the re-ask budget. */
function planLoop<Schema extends z.ZodType>(params: StructuredOutputParams<Schema>) {
  const { options, chat } = splitStructuredParams(params);
  return {
    options,
    chat,
    responseFormat: responseFormatFor(options.responseModel, options),
    maxRetries: Math.max(0, options.maxRetries ?? DEFAULT_MAX_RETRIES),
  };
}

function exhausted(attempts: Attempts): StructuredOutputError {
  const last = attempts.at(-1);
  return new StructuredOutputError(
    `The answer failed validation in all ${attempts.length} attempt(s); last problems: ${last?.issues.join('; ') ?? 'none'}`,
    attempts,
  );
}
