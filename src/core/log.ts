/**
 * Core's one logging port: structured log lines with optional fields. src/logger.ts's `Logger`
 * extends it; services take a `Log`, never their own narrower shape.
 */
export interface Log {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
}
