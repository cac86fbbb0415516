/** The storage providers music-sync ships, each one folder under `src/providers` behind one interface.
 * The registry must have a module for every kind named here, or it does not compile. */
export const PROVIDER_KINDS = ['local', 's3', 'webdav', 'gdrive', 'onedrive', 'dropbox'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];
