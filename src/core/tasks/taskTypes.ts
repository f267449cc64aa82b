import { badRequest } from '../errors.js';

/** One task type from the catalogue (config/taskTypes.ts): what it is and how it is prompted. */
export interface TaskTypeDef {
  id: string;
  name: string;
  description: string;
  systemPrompt: string;
  defaultMaxTokens: number;
}

/** The task types this deployment offers, looked up by id. Built once from config by the composition root. */
export class TaskTypeCatalogue {
  private readonly byId: Map<string, TaskTypeDef>;

  constructor(types: readonly TaskTypeDef[]) {
    this.byId = new Map(types.map((t) => [t.id, t]));
  }

  list(): TaskTypeDef[] {
    return [...this.byId.values()];
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): TaskTypeDef | undefined {
    return this.byId.get(id);
  }

  /** The type, or a validation error naming the known ones. */
  require(id: string): TaskTypeDef {
    const t = this.byId.get(id);
    if (!t) {
      throw badRequest(`Unknown task type "${id}"`, [
        {
          field: 'body.taskType',
          message: `must be one of: ${this.ids().join(', ')}`,
          code: 'invalid_value',
        },
      ]);
    }
    return t;
  }
}
