/**
 * An ISO-8601 UTC timestamp string formatted by PostgreSQL (`2026-11-23T16:40:41.123Z`). Hot list queries select
 * timestamps this way: parsing them into Dates in the driver and formatting them again costs more per row than
 * the rest of the row.
 */
export const isoTimestamp = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
