import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM envelopes for secrets at rest (provider credentials, webhook secrets).
 * Format: `v1.<keyId>.<iv b64url>.<tag b64url>.<ciphertext b64url>`. The key id (first 8 hex
 * chars of SHA-256 of the key) is stored with each ciphertext so keys can be rotated: keep the
 * old key in `previousKeys` until everything is re-encrypted.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentId: string;

  constructor(currentKey: Buffer, previousKeys: Buffer[] = []) {
    if (currentKey.length !== 32) throw new Error('ENCRYPTION_KEY must be 32 bytes');
    this.currentId = SecretBox.keyId(currentKey);
    this.keys.set(this.currentId, currentKey);
    for (const k of previousKeys) this.keys.set(SecretBox.keyId(k), k);
  }

  static keyId(key: Buffer): string {
    return createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  encrypt(plaintext: string, aad = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentId)!, iv);
    if (aad) cipher.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      'v1',
      this.currentId,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ct.toString('base64url'),
    ].join('.');
  }

  decrypt(envelope: string, aad = ''): string {
    const [v, kid, iv, tag, ct] = envelope.split('.');
    if (v !== 'v1' || !kid || !iv || !tag || ct === undefined)
      throw new Error('Not a Switchyard secret envelope');
    const key = this.keys.get(kid);
    if (!key)
      throw new Error(
        `No key with id ${kid} is configured (was ENCRYPTION_KEY rotated without keeping the old one?)`,
      );
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    if (aad) decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** Whether an envelope was made with an older key (and should be re-encrypted). */
  needsRotation(envelope: string): boolean {
    return envelope.split('.')[1] !== this.currentId;
  }

  encryptJson(value: unknown, aad = ''): string {
    return this.encrypt(JSON.stringify(value), aad);
  }

  decryptJson<T>(envelope: string, aad = ''): T {
    return JSON.parse(this.decrypt(envelope, aad)) as T;
  }
}
