import type { Pool, PoolClient } from '@mesh/service-kit';

/** A pool for single statements, or a client inside a transaction: repositories take either. */
export type Db = Pool | PoolClient;
