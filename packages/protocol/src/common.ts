import { z } from 'zod';

/** Caller-chosen identifiers (organizations, teams, model groups, aliases): readable, URL-safe. */
export const slugSchema = z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must start with a letter or digit and contain only letters, digits, ".", "_", ":" and "-"');
export const uuidSchema = z.uuid();
export const metadataSchema = z.record(z.string(), z.unknown());
/** Credits travel as numbers with at most 6 decimals (stored as integer micro-credits). */
export const creditsSchema = z.number().finite().refine((n) => Math.abs(n * 1e6 - Math.round(n * 1e6)) < 1e-3 && Math.abs(n) <= 1e12, 'must be a number with at most 6 decimals');
export const positiveCreditsSchema = creditsSchema.refine((n) => n > 0, 'must be greater than 0');
/** USD per 1M tokens. */
export const pricePerMillionSchema = z.number().finite().min(0).max(100000);
export const isoDateSchema = z.iso.datetime({ offset: true });
export const limitQuerySchema = z.coerce.number().int().min(1).max(500);
