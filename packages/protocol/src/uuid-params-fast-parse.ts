import { z } from 'zod';
import { jobCallParamsSchema, jobIdParamsSchema } from './jobs.ts';

/*
 * Shortcuts past the path-parameter schemas of the call routes (`z.object` of `z.uuid()` fields): the same
 * pattern zod uses, the same output (the named fields, in schema order; others stripped). Anything else
 * returns `undefined` and is parsed, and refused, by the schema itself.
 */

const UUID = z.regexes.uuid();

function uuidParams<K extends string>(keys: readonly K[]): (value: unknown) => Record<K, string> | undefined {
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const parsed = {} as Record<K, string>;
    for (const key of keys) {
      const field = (value as Record<string, unknown>)[key];
      if (typeof field !== 'string' || !UUID.test(field)) return undefined;
      parsed[key] = field;
    }
    return parsed;
  };
}

/** `jobIdParamsSchema` without zod for a valid `{job_id}`. */
export const fastParseJobIdParams: (value: unknown) => z.infer<typeof jobIdParamsSchema> | undefined = uuidParams(['job_id']);
/** `jobCallParamsSchema` without zod for a valid `{job_id, call_id}`. */
export const fastParseJobCallParams: (value: unknown) => z.infer<typeof jobCallParamsSchema> | undefined = uuidParams(['job_id', 'call_id']);
