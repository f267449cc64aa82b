import type { Logger } from '../logger.js';

/**
 * What start-up opened, closed in reverse order: each phase pushes its stop as soon as the thing
 * runs, so a failure half-way (or `Switchyard.stop()`) closes exactly what was started.
 */
export class Stoppers {
  private readonly list: Array<() => Promise<void>> = [];

  constructor(private readonly logger: Logger) {}

  push(stop: () => Promise<void>): void {
    this.list.push(stop);
  }

  /**
   * Runs every stop, last pushed first; one that throws is logged and the rest still run. Each stop
   * runs once: a second call (while the first is still running, or after) has nothing left to do.
   */
  async stopAll(): Promise<void> {
    for (const stop of this.list.splice(0).reverse()) {
      try {
        await stop();
      } catch (e) {
        this.logger.error('Error during shutdown', { err: (e as Error).message });
      }
    }
  }
}
