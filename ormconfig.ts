import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './server/src/config';
import { dataSourceOptions } from './server/src/database/data-source';

/**
 * The DataSource for the TypeORM CLI, configured from the same environment as the service, e.g.
 * `npx typeorm-ts-node-commonjs migration:show -d ormconfig.ts`.
 */
export default new DataSource(dataSourceOptions(loadConfig()));
