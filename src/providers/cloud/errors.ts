// Reading the error answers of the cloud APIs: the parts every provider's errorOf needs.
import { parseRetryAfter } from '../remote/retry-after.ts';

/** An answer's Retry-After, in ms. */
export function retryAfterOf(response: Response): number | undefined {
  return parseRetryAfter(response.headers.get('retry-after'));
}

/** An error body as JSON, or undefined when it is not. */
export function jsonOf(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
