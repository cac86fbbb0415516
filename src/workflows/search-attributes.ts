import { defineSearchAttributeKey } from '@temporalio/common';

/** Custom search attributes (Keyword) shown and filterable in the Temporal Web UI. */
export const PROFILE_ATTR = defineSearchAttributeKey('MusicSyncProfile', 'KEYWORD');
export const PROVIDER_ATTR = defineSearchAttributeKey('MusicSyncProvider', 'KEYWORD');
export const MODE_ATTR = defineSearchAttributeKey('MusicSyncMode', 'KEYWORD');
export const SEARCH_ATTRIBUTE_NAMES = ['MusicSyncProfile', 'MusicSyncProvider', 'MusicSyncMode'] as const;
