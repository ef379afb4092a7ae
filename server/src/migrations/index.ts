import { Initial1764072000000 } from './1764072000000-initial';
import { Instance1764500000000 } from './1764500000000-instance';
import { LoginAttempts1764600000000 } from './1764600000000-login-attempts';
import { Outbox1764800000000 } from './1764800000000-outbox';
import { ApiTokens1764900000000 } from './1764900000000-api-tokens';
import { Webhooks1764900100000 } from './1764900100000-webhooks';
import { RateLimits1765000000000 } from './1765000000000-rate-limits';
import { StatsIndexes1765100000000 } from './1765100000000-stats-indexes';
import { SearchPrefixes1765200000000 } from './1765200000000-search-prefixes';
import { UserDeactivation1765300000000 } from './1765300000000-user-deactivation';
import { TicketDuplicateOf1765400000000 } from './1765400000000-ticket-duplicate-of';
import { Attachments1765500000000 } from './1765500000000-attachments';
import { JobAuthorRole1765600000000 } from './1765600000000-job-author-role';
import { TeamFigures1765700000000 } from './1765700000000-team-figures';
import { SavedViews1765800000000 } from './1765800000000-saved-views';
import { TeamTable1765810000000 } from './1765810000000-team-table';
import { PostgresSchema1764950000000 } from './postgres/1764950000000-schema';
import { PostgresStatsIndexes1765100000000 } from './postgres/1765100000000-stats-indexes';
import { PostgresSearchWords1765250000000 } from './postgres/1765250000000-search-words';
import { PostgresUserDeactivation1765300000000 } from './postgres/1765300000000-user-deactivation';
import { PostgresTicketDuplicateOf1765400000000 } from './postgres/1765400000000-ticket-duplicate-of';
import { PostgresAttachments1765500000000 } from './postgres/1765500000000-attachments';
import { PostgresJobAuthorRole1765600000000 } from './postgres/1765600000000-job-author-role';
import { PostgresTeamFigures1765700000000 } from './postgres/1765700000000-team-figures';
import { PostgresSavedViews1765800000000 } from './postgres/1765800000000-saved-views';
import { PostgresTeamTable1765810000000 } from './postgres/1765810000000-team-table';
import { PostgresSessionNotify1765900000000 } from './postgres/1765900000000-session-notify';

/** Every SQLite migration, oldest first. They run at start-up. */
export const migrations = [
  Initial1764072000000,
  Instance1764500000000,
  LoginAttempts1764600000000,
  Outbox1764800000000,
  ApiTokens1764900000000,
  Webhooks1764900100000,
  RateLimits1765000000000,
  StatsIndexes1765100000000,
  SearchPrefixes1765200000000,
  UserDeactivation1765300000000,
  TicketDuplicateOf1765400000000,
  Attachments1765500000000,
  JobAuthorRole1765600000000,
  TeamFigures1765700000000,
  SavedViews1765800000000,
  TeamTable1765810000000,
];

/**
 * Every PostgreSQL migration, oldest first: one migration set per database kind. PostgreSQL support
 * began with the whole schema in one step; a later change of the schema adds one migration to each set.
 */
export const postgresMigrations = [
  PostgresSchema1764950000000,
  PostgresStatsIndexes1765100000000,
  PostgresSearchWords1765250000000,
  PostgresUserDeactivation1765300000000,
  PostgresTicketDuplicateOf1765400000000,
  PostgresAttachments1765500000000,
  PostgresJobAuthorRole1765600000000,
  PostgresTeamFigures1765700000000,
  PostgresSavedViews1765800000000,
  PostgresTeamTable1765810000000,
  // PostgreSQL only: on SQLite one process writes, and its own statements are seen (session-cache.ts).
  PostgresSessionNotify1765900000000,
];
