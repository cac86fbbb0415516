import { LocalProvider } from '../../src/providers/local/index.ts';
import { defaultProviders, type ProviderRegistry } from '../../src/providers/registry.ts';
import type { ListPage, ProviderFile, RandomAccessReader } from '../../src/providers/types.ts';
import { ProviderError } from '../../src/providers/types.ts';

/**
 * Test providers: real local folders with a controllable fault or delay in front, registered in a
 * real registry beside `local` (the same registry the worker uses; nothing is mocked).
 */
export interface Faults {
  /** list() fails with a retryable error this many times first. */
  listFailures: number;
  /** open() waits this long (ms) before reading; abortable through `release()`. */
  openDelayMs: number;
  /** Number of files opened so far. */
  opened: number;
  listCalls: number;
}

export function faultyRegistry(faults: Faults): ProviderRegistry {
  return defaultProviders().register('faulty', (profile) => {
    const local = new LocalProvider(profile.root);
    return {
      kind: 'faulty',
      usesNetwork: false,
      validate: () => local.validate(),
      async list(token: string | undefined, size: number): Promise<ListPage> {
        faults.listCalls += 1;
        if (faults.listFailures > 0) {
          faults.listFailures -= 1;
          throw new ProviderError('unavailable', 'listing failed (injected 503)');
        }
        return local.list(token, size);
      },
      async open(file: Pick<ProviderFile, 'fileId' | 'path'>): Promise<RandomAccessReader> {
        faults.opened += 1;
        if (faults.openDelayMs > 0) await new Promise((r) => setTimeout(r, faults.openDelayMs));
        return local.open(file);
      },
    };
  });
}

export function newFaults(partial: Partial<Faults> = {}): Faults {
  return { listFailures: 0, openDelayMs: 0, opened: 0, listCalls: 0, ...partial };
}
