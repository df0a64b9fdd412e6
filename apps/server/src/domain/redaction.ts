const SECRET_FIELD = /(api_?key|secret|password|token|virtual_key|authorization|cookie|extra_headers)/i;

/** A deep copy of `value` with every secret-looking field replaced, for audit diffs and logs. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [field, inner] of Object.entries(value as Record<string, unknown>)) {
    copy[field] = SECRET_FIELD.test(field) && inner !== null && inner !== undefined ? '[redacted]' : redactSecrets(inner, depth + 1);
  }
  return copy;
}
