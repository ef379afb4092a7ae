import type { ValueTransformer } from 'typeorm';

/**
 * Timestamps are stored as integer milliseconds since the epoch: one representation that sorts,
 * compares and buckets (per day, per week) the same way on SQLite and PostgreSQL.
 */
export const timestampTransformer: ValueTransformer = {
  to: (value: Date | null | undefined) => (value == null ? value : value.getTime()),
  from: (value: number | string | null) => (value == null ? null : new Date(Number(value))),
};

export const timestampColumn = { type: 'bigint', transformer: timestampTransformer } as const;
