/**
 * A report query's optional `from`/`to` (ISO dates or date-times, already validated) as Dates. An
 * absent bound stays undefined, so the service applies its own default range.
 */
export function dateRangeOf(query: { from?: string | undefined; to?: string | undefined }): { from: Date | undefined; to: Date | undefined } {
  return {
    from: query.from === undefined ? undefined : new Date(query.from),
    to: query.to === undefined ? undefined : new Date(query.to),
  };
}
