import type { Db } from './db.js';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Reads that must agree — a page and its total — from one snapshot (a read-only repeatable-read
 * transaction). Read apart, a row committed between the two could be counted but missing from the
 * page (total 1, no items). The reads run one after the other: a transaction's queries share its
 * connection.
 */
export function oneSnapshot<T>(db: Db, read: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(read, { isolationLevel: 'repeatable read', accessMode: 'read only' });
}
