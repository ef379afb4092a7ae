import { Initial1764072000000 } from './1764072000000-initial';

/** Every migration, oldest first. They run at start-up. */
export const migrations = [Initial1764072000000];
