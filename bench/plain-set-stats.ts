/**
 * The engine as it was before `UserSet` (one plain `Set`, count first): the baseline the core
 * bench times `record()` against, in the same run. It throws past 2^24 users, so it is never
 * used for more than the bench's 75,000.
 */
import { DEFAULT_LIMITS, ExactSum, StatsError } from '@1mrc/core';
import { validateEvent } from '@1mrc/core/internal';

export interface PlainSetStats {
  record(userId: string, value: number): void;
  readonly totalRequests: number;
  readonly uniqueUsers: number;
}

export function createPlainSetStats(): PlainSetStats {
  const maxUserIdBytes = DEFAULT_LIMITS.maxUserIdBytes;
  let totalRequests = 0;
  const users = new Set<string>();
  const sum = new ExactSum();
  return {
    record(userId, value) {
      const error = validateEvent(userId, value, maxUserIdBytes);
      if (error) throw new StatsError(error);
      totalRequests++;
      users.add(userId);
      sum.add(value);
    },
    get totalRequests() {
      return totalRequests;
    },
    get uniqueUsers() {
      return users.size;
    },
  };
}
