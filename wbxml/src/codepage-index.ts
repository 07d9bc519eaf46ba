/**
 * Lookup tables built once from the generated code-page data: token → tag name for the decoder,
 * namespace + tag → page and token for the encoder, and version queries for the EAS layer.
 */
import type { CodePageData, CodePageTagData, ProtocolVersion } from './codepage-types';
import { CODE_PAGE_DATA } from './codepages';

export type { CodePageData, CodePageTagData, ProtocolVersion } from './codepage-types';

/** Every code page, indexed by page number (0–25). */
export const CODE_PAGES: readonly CodePageData[] = CODE_PAGE_DATA;

/** Namespace names in page order: `NAMESPACES[2] === 'Email'`. */
export const NAMESPACES: readonly string[] = CODE_PAGES.map((p) => p.namespace);

/** Protocol versions in order, for comparisons. */
export const PROTOCOL_VERSIONS: readonly ProtocolVersion[] = [
  '2.5',
  '12.0',
  '12.1',
  '14.0',
  '14.1',
  '16.0',
  '16.1',
];

/** Encoder view of one page. */
export interface PageTokens {
  readonly page: number;
  readonly namespace: string;
  readonly tokens: ReadonlyMap<string, number>;
}

/** Decoder table: `TAG_NAMES[page][token]` is the canonical tag name, or undefined. */
export const TAG_NAMES: readonly (readonly (string | undefined)[])[] = CODE_PAGES.map((p) => {
  const names: (string | undefined)[] = new Array(64).fill(undefined);
  for (const t of p.tags) names[t.token] = t.name;
  return names;
});

const byNamespace = new Map<string, PageTokens>();
const tagData = new Map<string, CodePageTagData>();
for (const p of CODE_PAGES) {
  if (CODE_PAGES[p.page] !== p) throw new Error(`code page ${p.page} is out of order`);
  const tokens = new Map<string, number>();
  for (const t of p.tags) {
    tokens.set(t.name, t.token);
    tagData.set(`${p.namespace}\u0000${t.name}`, t);
  }
  byNamespace.set(p.namespace, { page: p.page, namespace: p.namespace, tokens });
}

/** The encoder's view of a namespace, or undefined when it is no EAS code page. */
export function pageTokens(namespace: string): PageTokens | undefined {
  return byNamespace.get(namespace);
}

/** The code page with this number or namespace name. */
export function codePage(pageOrNamespace: number | string): CodePageData | undefined {
  if (typeof pageOrNamespace === 'number') return CODE_PAGES[pageOrNamespace];
  const p = byNamespace.get(pageOrNamespace);
  return p === undefined ? undefined : CODE_PAGES[p.page];
}

/** Facts about one tag: page, token, the version that introduced it, legacy status. */
export interface TagInfo extends CodePageTagData {
  readonly page: number;
  readonly namespace: string;
}

/** Looks a tag up by namespace and name (canonical Microsoft spelling). */
export function tagInfo(namespace: string, tag: string): TagInfo | undefined {
  const t = tagData.get(`${namespace}\u0000${tag}`);
  const p = byNamespace.get(namespace);
  return t === undefined || p === undefined ? undefined : { ...t, page: p.page, namespace };
}

/** Looks a tag up by page and token. */
export function tagByToken(page: number, token: number): TagInfo | undefined {
  const name = TAG_NAMES[page]?.[token];
  const ns = NAMESPACES[page];
  return name === undefined || ns === undefined ? undefined : tagInfo(ns, name);
}

/** Orders protocol versions: negative when a < b. Throws on a version EAS does not define. */
export function compareVersions(a: ProtocolVersion, b: ProtocolVersion): number {
  const ia = PROTOCOL_VERSIONS.indexOf(a);
  const ib = PROTOCOL_VERSIONS.indexOf(b);
  if (ia < 0 || ib < 0) throw new TypeError(`unknown EAS protocol version ${ia < 0 ? a : b}`);
  return ia - ib;
}

/** True when the tag exists in the given protocol version (it was introduced at or before it). */
export function tagAvailableIn(namespace: string, tag: string, version: ProtocolVersion): boolean {
  const t = tagInfo(namespace, tag);
  return t !== undefined && compareVersions(t.introduced, version) <= 0;
}
