import jwt from 'jsonwebtoken';
import { AppError } from '../errors.js';

export interface AccessClaims {
  sub: string;
  sid: string;
  role: 'admin' | 'user';
}

/** Short-lived HS256 access tokens bound to a session id, so logout revokes them at once. */
export class AccessTokens {
  constructor(
    private readonly secret: string,
    readonly ttlSeconds: number,
  ) {}

  sign(claims: AccessClaims): string {
    return jwt.sign({ sid: claims.sid, role: claims.role }, this.secret, {
      algorithm: 'HS256',
      subject: claims.sub,
      expiresIn: this.ttlSeconds,
      issuer: 'switchyard',
    });
  }

  verify(token: string): AccessClaims {
    try {
      const p = jwt.verify(token, this.secret, { algorithms: ['HS256'], issuer: 'switchyard' });
      if (typeof p !== 'object' || typeof p.sub !== 'string' || typeof p.sid !== 'string')
        throw new Error('bad claims');
      return { sub: p.sub, sid: p.sid as string, role: p.role === 'admin' ? 'admin' : 'user' };
    } catch (e) {
      const expired = e instanceof jwt.TokenExpiredError;
      throw new AppError('unauthorized', expired ? 'Access token expired' : 'Invalid access token');
    }
  }
}
