import type { Actor } from '../actor.js';
import type { ContentReader } from './commentService.js';
import type { ActivityItem, ActivityStore } from './ports.js';

export const MAX_ACTIVITY_ITEMS = 500;

/** A content item's history in time order: versions, comments, review actions, exports and shares. */
export class ActivityService {
  constructor(private readonly deps: { read: ContentReader; store: ActivityStore }) {}

  async list(viewer: Actor, contentId: string, limit = MAX_ACTIVITY_ITEMS): Promise<ActivityItem[]> {
    const c = await this.deps.read(viewer, contentId);
    return this.deps.store.activity(c.id, Math.min(limit, MAX_ACTIVITY_ITEMS));
  }
}
