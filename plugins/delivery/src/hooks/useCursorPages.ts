import { useCallback, useEffect, useRef, useState } from 'react';
import { Page } from '../api';

export interface CursorPages<T> {
  items: T[];
  loading: boolean;
  error?: Error;
  totalItems?: number;
  /** 1-based number of the page shown. */
  pageNumber: number;
  hasNext: boolean;
  hasPrevious: boolean;
  next(): void;
  previous(): void;
  /** Reloads the page shown (after an action changed it). */
  reload(): void;
}

/**
 * Walks a cursor-paginated list forwards and back, one page at a time, keeping
 * the cursors of the pages seen. Starts over when `key` changes (new filters).
 */
export function useCursorPages<T>(
  fetchPage: (cursor?: string) => Promise<Page<T>>,
  key: string,
): CursorPages<T> {
  const [cursors, setCursors] = useState<Array<string | undefined>>([
    undefined,
  ]);
  const [state, setState] = useState<{
    loading: boolean;
    error?: Error;
    page?: Page<T>;
  }>({ loading: true });
  const [reloads, setReloads] = useState(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  useEffect(() => setCursors([undefined]), [key]);

  const cursor = cursors[cursors.length - 1];
  useEffect(() => {
    let cancelled = false;
    setState(s => ({ ...s, loading: true, error: undefined }));
    fetchRef
      .current(cursor)
      .then(page => !cancelled && setState({ loading: false, page }))
      .catch(error => !cancelled && setState({ loading: false, error }));
    return () => {
      cancelled = true;
    };
  }, [cursor, key, reloads]);

  const nextCursor = state.page?.nextCursor;
  return {
    items: state.page?.items ?? [],
    loading: state.loading,
    error: state.error,
    totalItems: state.page?.totalItems,
    pageNumber: cursors.length,
    hasNext: Boolean(nextCursor),
    hasPrevious: cursors.length > 1,
    next: useCallback(() => {
      if (nextCursor) setCursors(c => [...c, nextCursor]);
    }, [nextCursor]),
    previous: useCallback(
      () => setCursors(c => (c.length > 1 ? c.slice(0, -1) : c)),
      [],
    ),
    reload: useCallback(() => setReloads(r => r + 1), []),
  };
}
