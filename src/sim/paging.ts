// The two paging styles of the ECS and VPC APIs: NextToken/MaxResults (an opaque token that names
// the next item by its creation order, so it survives deletions) and PageNumber/PageSize.
import { invalid } from './errors.ts';
import type { Params } from './params.ts';

export interface TokenLimits {
  min: number;
  max: number;
  default: number;
}

function encodeToken(position: number): string {
  return Buffer.from(`next:${position}`).toString('base64url');
}

function decodeToken(token: string): number {
  const match = /^next:(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  if (!match) throw invalid('NextToken', 'not a token this API handed out');
  return Number(match[1]);
}

/** Items must be sorted by `position`. Answers `{items, NextToken?, TotalCount}`. */
export function pageByToken<T>(items: T[], position: (item: T) => number, params: Params, limits: TokenLimits): { items: T[]; fields: Record<string, unknown> } {
  const maxResults = params.int('MaxResults', limits.min, limits.max) ?? limits.default;
  const token = params.str('NextToken');
  const from = token === undefined ? 0 : items.findIndex((item) => position(item) >= decodeToken(token));
  const start = from < 0 ? items.length : from;
  const page = items.slice(start, start + maxResults);
  const next = items[start + maxResults];
  return {
    items: page,
    fields: { TotalCount: items.length, MaxResults: maxResults, ...(next === undefined ? {} : { NextToken: encodeToken(position(next)) }) },
  };
}

export function pageByNumber<T>(items: T[], params: Params, maxPageSize: number): { items: T[]; fields: Record<string, unknown> } {
  const pageNumber = params.int('PageNumber', 1, Number.MAX_SAFE_INTEGER) ?? 1;
  const pageSize = params.int('PageSize', 1, maxPageSize) ?? 10;
  const start = (pageNumber - 1) * pageSize;
  return { items: items.slice(start, start + pageSize), fields: { TotalCount: items.length, PageNumber: pageNumber, PageSize: pageSize } };
}

/** ECS's list actions page by token when asked for MaxResults or NextToken, else by number. */
export function page<T>(items: T[], position: (item: T) => number, params: Params, limits: TokenLimits): { items: T[]; fields: Record<string, unknown> } {
  const byToken = params.str('NextToken') !== undefined || params.str('MaxResults') !== undefined;
  return byToken ? pageByToken(items, position, params, limits) : pageByNumber(items, params, limits.max);
}
