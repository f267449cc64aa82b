import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AppError } from '../errors.js';

export interface AccessClaims {
  sub: string;
  sid: string;
  role: 'admin' | 'user';
}

/**
 * Short-lived HS256 access tokens bound to a session id, so logout revokes them at once. The secret
 * is a KeyObject made once: given a string, jsonwebtoken first tries it as a PEM public key on every
 * verify (createPublicKey, which throws) — about half of a request's authentication time.
 */
export class AccessTokens {
  private readonly key: KeyObject;

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = createSecretKey(Buffer.from(secret));
  }

  sign(claims: AccessClaims): string {
    return jwt.sign({ sid: claims.sid, role: claims.role }, this.key, {
      algorithm: 'HS256',
      subject: claims.sub,
      expiresIn: this.ttlSeconds,
      issuer: 'switchyard',
    });
  }

  verify(token: string): AccessClaims {
    try {
      const p = jwt.verify(token, this.key, { algorithms: ['HS256'], issuer: 'switchyard' });
      if (typeof p !== 'object' || typeof p.sub !== 'string' || typeof p.sid !== 'string')
        throw new Error('bad claims');
      return { sub: p.sub, sid: p.sid as string, role: p.role === 'admin' ? 'admin' : 'user' };
    } catch (e) {
      const expired = e instanceof jwt.TokenExpiredError;
      throw new AppError('unauthorized', expired ? 'Access token expired' : 'Invalid access token');
    }
  }
}
