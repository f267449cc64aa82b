import { hkdfSync } from 'node:crypto';

/**
 * The signing secret for callbacks of tasks that did not come from an inbound hook (e.g. tasks
 * created through POST /api/tasks with a callbackUrl): one per user, derived with HKDF-SHA256
 * from the server's master key (ENCRYPTION_KEY) and the user id, so nothing has to be stored.
 * A user reads theirs from GET /api/webhooks/callback-secret. Changing ENCRYPTION_KEY changes it.
 */
export function deriveCallbackSecret(masterKey: Buffer, userId: string): string {
  const bytes = Buffer.from(
    hkdfSync(
      'sha256',
      masterKey,
      Buffer.from('switchyard/callback-secret/v1'),
      Buffer.from(userId, 'utf8'),
      32,
    ),
  );
  return `sy_whs_${bytes.toString('base64url')}`;
}
