import type { Principal } from '../core/auth/authService.js';

declare global {
  namespace Express {
    interface Request {
      /** Set by the authenticate middleware when a valid bearer token was sent. */
      principal?: Principal;
      /** The exact bytes of a JSON body, for signature checks. */
      rawBody?: Buffer;
      /** X-Request-Id, echoed or generated. */
      requestId: string;
    }
  }
}
