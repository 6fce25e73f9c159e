/** Largest request body the API accepts. */
export const MAX_BODY_SIZE = '256kb';

/** Page size when the caller does not choose one. */
export const DEFAULT_PAGE_SIZE = 20;
