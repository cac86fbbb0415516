import { ApplicationFailure } from '@temporalio/common';
import { ProviderError } from '../providers/types.ts';

/** The one place where "retry" or "give up" is decided for provider failures. */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ProviderError) {
    if (err.retryable) {
      return ApplicationFailure.create({
        message: err.message,
        type: `Provider.${err.kind}`,
        nonRetryable: false,
        nextRetryDelay: err.retryAfterMs,
        cause: err,
      });
    }
    return ApplicationFailure.nonRetryable(err.message, `Provider.${err.kind}`);
  }
  return err;
}

export function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'InvalidInput');
}
