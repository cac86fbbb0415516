import type { ProviderKind } from '../contract/providers.ts';
import { dropboxProvider } from './dropbox/index.ts';
import { gdriveProvider } from './gdrive/index.ts';
import { localProvider } from './local/index.ts';
import { onedriveProvider } from './onedrive/index.ts';
import { s3Provider } from './s3/index.ts';
import { webdavProvider } from './webdav/index.ts';
import type { ProfileLocation, ProviderEnvironment, ProviderModule, ProviderProfile, StorageProvider } from './types.ts';
import { ProviderError } from './types.ts';

/** Providers by kind, one module each. Profiles name their kind as stored text, so lookups take any
 * string and answer an unknown kind with ProviderError('invalid'). */
export class ProviderRegistry<K extends string = ProviderKind> {
  private readonly modules: ReadonlyMap<string, ProviderModule>;

  constructor(modules: readonly ProviderModule<K>[]) {
    this.modules = new Map(modules.map((m) => [m.kind, m]));
  }

  /** A registry with one more kind (tests add providers with faults in front of a real one). */
  with<K2 extends string>(module: ProviderModule<K2>): ProviderRegistry<K | K2> {
    return new ProviderRegistry<K | K2>([...(this.modules.values() as Iterable<ProviderModule<K>>), module]);
  }

  kinds(): K[] {
    return [...this.modules.keys()] as K[];
  }

  has(kind: string): kind is K {
    return this.modules.has(kind);
  }

  normalizeProfile(kind: string, location: ProfileLocation): Promise<ProfileLocation> {
    return this.module(kind).normalizeProfile(location);
  }

  create(profile: ProviderProfile, environment: ProviderEnvironment): StorageProvider {
    return this.module(profile.provider).create(profile, environment);
  }

  secretNames(kind: string): readonly string[] {
    return this.module(kind).secretNames;
  }

  private module(kind: string): ProviderModule {
    const module = this.modules.get(kind);
    if (!module) throw new ProviderError('invalid', `unknown provider "${kind}" (known: ${this.kinds().join(', ')})`);
    return module;
  }
}

/** Every provider kind music-sync ships: a kind without a module here does not compile. */
const SHIPPED: { [K in ProviderKind]: ProviderModule<K> } = {
  local: localProvider,
  s3: s3Provider,
  webdav: webdavProvider,
  gdrive: gdriveProvider,
  onedrive: onedriveProvider,
  dropbox: dropboxProvider,
};

export function defaultProviders(): ProviderRegistry {
  return new ProviderRegistry(Object.values(SHIPPED));
}
