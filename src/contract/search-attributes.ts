import type { defineSearchAttributeKey } from '@temporalio/common';

// Custom search attributes (Keyword) that the client sets on every sync, so operators can find and
// filter syncs in the Temporal Web UI. The keys are plain data (what `defineSearchAttributeKey`
// returns), so this floor stays free of runtime imports.
type KeywordKey = ReturnType<typeof defineSearchAttributeKey<'KEYWORD'>>;
const keyword = (name: string): KeywordKey => ({ name, type: 'KEYWORD' });

export const PROFILE_ATTR = keyword('MusicSyncProfile');
export const PROVIDER_ATTR = keyword('MusicSyncProvider');
export const MODE_ATTR = keyword('MusicSyncMode');
export const SEARCH_ATTRIBUTES = [PROFILE_ATTR, PROVIDER_ATTR, MODE_ATTR] as const;
