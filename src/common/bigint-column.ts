import type { ValueTransformer } from 'typeorm';

/**
 * PostgreSQL `bigint` as a JavaScript number (node-postgres returns it as a string). Byte counts stay far
 * below 2^53 (8 PiB), so nothing is lost.
 */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? null : Number(value)),
};
