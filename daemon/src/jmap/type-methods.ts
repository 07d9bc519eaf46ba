import { ids, list, type MethodCall, str } from './api';
import { parseChanges } from './changes';
import type { TypeSpec } from './data-types';
import type { ChangesResponse, ResultReference } from './types';

/** A /get answer of a calendar or contacts type, objects as the server sent them (read by the spec). */
export interface TypeGetResponse {
  state: string;
  list: Record<string, unknown>[];
  notFound: string[];
}

/** A container (Calendar, AddressBook) as the daemon keeps it. */
export interface JmapContainer {
  id: string;
  name: string;
}

export interface ContainerGetResponse {
  state: string;
  list: JmapContainer[];
}

function parseGet(a: Record<string, unknown>): TypeGetResponse {
  return {
    state: str(a, 'state'),
    list: list(a, 'list').filter((o) => typeof o.id === 'string'),
    notFound: ids(a, 'notFound'),
  };
}

/** `${type}/changes` (RFC 8620 §5.2) of a calendar or contacts type, at most `maxChanges`. */
export function typeChanges(
  spec: TypeSpec,
  accountId: string,
  sinceState: string,
  maxChanges: number,
): MethodCall<ChangesResponse> {
  return {
    name: `${spec.type}/changes`,
    args: { accountId, sinceState, maxChanges },
    parse: parseChanges,
    using: [spec.capability],
  };
}

/**
 * `${type}/get` (RFC 8620 §5.1) with the spec's small property list, of `itemIds`, or of the ids
 * an earlier call of the same request answered (a result reference, RFC 8620 §3.7). `ids: []`
 * asks only for the current state, which is how a baseline learns where to start.
 */
export function typeGet(
  spec: TypeSpec,
  accountId: string,
  itemIds: readonly string[] | ResultReference,
): MethodCall<TypeGetResponse> {
  const which = Array.isArray(itemIds) ? { ids: itemIds } : { '#ids': itemIds };
  return {
    name: `${spec.type}/get`,
    args: { accountId, ...which, properties: spec.properties },
    parse: parseGet,
    using: [spec.capability],
  };
}

/** `${containerType}/get` of every container (`ids: null`) with id and name. */
export function containerGet(spec: TypeSpec, accountId: string): MethodCall<ContainerGetResponse> {
  return {
    name: `${spec.containerType}/get`,
    args: { accountId, ids: null, properties: ['id', 'name'] },
    parse: (a) => ({
      state: str(a, 'state'),
      list: list(a, 'list').map((c) => ({
        id: str(c, 'id'),
        name: typeof c.name === 'string' && c.name.trim() !== '' ? c.name.trim().slice(0, 200) : str(c, 'id'),
      })),
    }),
    using: [spec.capability],
  };
}

/** `${containerType}/changes` (RFC 8620 §5.2). */
export function containerChanges(
  spec: TypeSpec,
  accountId: string,
  sinceState: string,
): MethodCall<ChangesResponse> {
  return {
    name: `${spec.containerType}/changes`,
    args: { accountId, sinceState },
    parse: parseChanges,
    using: [spec.capability],
  };
}
