import { localProvider } from './local/index.ts';
import type { ProviderFactory, ProviderProfile, StorageProvider } from './types.ts';
import { ProviderError } from './types.ts';

/** Providers by kind; later issues add webdav, s3, gdrive, onedrive, dropbox here. */
export class ProviderRegistry {
  private readonly factories = new Map<string, ProviderFactory>();

  register(kind: string, factory: ProviderFactory): this {
    this.factories.set(kind, factory);
    return this;
  }

  kinds(): string[] {
    return [...this.factories.keys()];
  }

  has(kind: string): boolean {
    return this.factories.has(kind);
  }

  create(profile: ProviderProfile): StorageProvider {
    const factory = this.factories.get(profile.provider);
    if (!factory) {
      throw new ProviderError('invalid', `unknown provider "${profile.provider}" (known: ${this.kinds().join(', ')})`);
    }
    return factory(profile);
  }
}

export function defaultProviders(): ProviderRegistry {
  return new ProviderRegistry().register('local', localProvider);
}
