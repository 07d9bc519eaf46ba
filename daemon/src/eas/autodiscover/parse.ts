import { XMLParser } from 'fast-xml-parser';
import { AutodiscoverError } from './errors';

/** Autodiscover answers are a few KiB; anything far larger is not one (or is an attack). */
export const MAX_RESPONSE_BYTES = 128 * 1024;

/** What one Autodiscover response tells us to do. */
export type AutodiscoverAnswer =
  | { kind: 'settings'; url: string; displayName?: string }
  | { kind: 'redirect-addr'; email: string }
  | { kind: 'redirect-url'; url: string }
  | { kind: 'error'; message: string };

const parser = new XMLParser({
  // Namespaces differ between the outer and mobilesync schemas; element names alone are unambiguous.
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  // Predefined and numeric references only: DOCTYPE is refused before parsing, so no custom
  // entity can be declared, let alone expanded (billion laughs, XXE).
  processEntities: true,
  htmlEntities: true,
  isArray: (name) => name === 'Server',
});

function bad(message: string, cause?: unknown): AutodiscoverError {
  return new AutodiscoverError('EAS_ERR_AUTODISCOVER_BAD_RESPONSE', message, { cause });
}

type Node = Record<string, unknown>;

function obj(v: unknown): Node | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Node) : undefined;
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'number') return String(v);
  return undefined;
}

function errorMessage(err: Node): string {
  // Action-level errors carry Status (MS-ASCMD 2.2.3.167.1), Response-level ones ErrorCode (2.2.3.59).
  const code = text(err.Status) ?? text(err.ErrorCode);
  const msg = text(err.Message) ?? 'no message';
  return code === undefined ? msg : `${msg} (code ${code})`;
}

/**
 * Parses a POX Autodiscover response (MS-ASCMD 2.2.2.1, MS-OXDSCLI 2.2.4). Understands the
 * mobilesync schema (`Action/Settings/Server[Type=MobileSync]/Url`, `Action/Redirect`,
 * `Action/Error`, `Response/Error`) and the Outlook-schema account actions `redirectAddr` and
 * `redirectUrl`, which some servers send whatever schema was asked for.
 * Throws `EAS_ERR_AUTODISCOVER_BAD_RESPONSE` for oversized, DOCTYPE-bearing or foreign documents.
 */
export function parsePoxResponse(xml: string): AutodiscoverAnswer {
  if (Buffer.byteLength(xml, 'utf8') > MAX_RESPONSE_BYTES) {
    throw bad(`response larger than ${MAX_RESPONSE_BYTES} bytes`);
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw bad('response declares a DOCTYPE or entities; refused');
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch (err) {
    throw bad('response is not well-formed XML', err);
  }
  const response = obj(obj(doc.Autodiscover)?.Response);
  if (response === undefined) throw bad('not an Autodiscover response (no Autodiscover/Response)');

  const responseError = obj(response.Error);
  if (responseError) return { kind: 'error', message: errorMessage(responseError) };

  const action = response.Action;
  const actionNode = obj(action);
  if (actionNode) {
    const err = obj(actionNode.Error);
    if (err) return { kind: 'error', message: errorMessage(err) };
    const redirect = text(actionNode.Redirect);
    if (redirect !== undefined) return { kind: 'redirect-addr', email: redirect };
    const servers = obj(actionNode.Settings)?.Server;
    if (Array.isArray(servers)) {
      for (const s of servers) {
        const server = obj(s);
        const url = text(server?.Url);
        if (server && text(server.Type) === 'MobileSync' && url !== undefined) {
          const displayName = text(obj(response.User)?.DisplayName);
          return displayName === undefined
            ? { kind: 'settings', url }
            : { kind: 'settings', url, displayName };
        }
      }
    }
  }

  const account = obj(response.Account);
  const accountAction = text(account?.Action);
  if (account && accountAction === 'redirectAddr') {
    const email = text(account.RedirectAddr);
    if (email !== undefined) return { kind: 'redirect-addr', email };
  }
  if (account && accountAction === 'redirectUrl') {
    const url = text(account.RedirectUrl);
    if (url !== undefined) return { kind: 'redirect-url', url };
  }
  throw bad('Autodiscover response names no MobileSync server');
}

/**
 * Parses Microsoft 365's JSON Autodiscover answer: `{"Protocol":"ActiveSync","Url":…}` or
 * `{"ErrorCode":…,"ErrorMessage":…}`.
 */
export function parseJsonResponse(body: string): AutodiscoverAnswer {
  if (Buffer.byteLength(body, 'utf8') > MAX_RESPONSE_BYTES) {
    throw bad(`response larger than ${MAX_RESPONSE_BYTES} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw bad('response is not JSON', err);
  }
  const o = obj(value);
  if (o === undefined) throw bad('JSON response is not an object');
  const url = text(o.Url);
  if (text(o.Protocol)?.toLowerCase() === 'activesync' && url !== undefined) return { kind: 'settings', url };
  const code = text(o.ErrorCode);
  if (code !== undefined)
    return { kind: 'error', message: `${text(o.ErrorMessage) ?? 'no message'} (${code})` };
  throw bad('JSON response names no ActiveSync URL');
}
