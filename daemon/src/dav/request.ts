import { type Dispatcher, request as undiciRequest } from 'undici';
import { DavError, safeUrl } from './errors';

/** One DAV request. Bodies are XML strings; every DAV body we send is small. */
export interface DavRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: string;
}

export interface DavResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string | undefined>;
  body: string;
  /** Final URL after redirects: the base for relative hrefs in the body (RFC 4918 §8.3). */
  url: URL;
}

/** The request function every request kind is written against; wrappers add behaviour around it. */
export type Send = (req: DavRequest) => Promise<DavResponse>;
/** A layer around a Send, in the manner of undici's `compose` interceptors. */
export type SendWrapper = (next: Send) => Send;

/** Applies wrappers so that the first one listed is the outermost. */
export function compose(base: Send, ...wrappers: SendWrapper[]): Send {
  return wrappers.reduceRight<Send>((next, wrap) => wrap(next), base);
}

export interface TransportOptions {
  dispatcher?: Dispatcher;
  /** Response bodies beyond this many bytes are refused while streaming. Default 16 MiB. */
  maxBodyBytes?: number;
  /** Headers and body timeout, ms. Default 60 s. */
  timeoutMs?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * The base Send over undici. Streams the body and stops at the cap: a 100 MB answer costs at most
 * cap bytes of memory, destroys the socket and yields DAV_ERR_BODY_TOO_LARGE.
 */
export function createTransport(opts: TransportOptions = {}): Send {
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const timeout = opts.timeoutMs ?? 60_000;
  return async (req) => {
    const where = { method: req.method, url: safeUrl(req.url) };
    let res: Dispatcher.ResponseData;
    try {
      res = await undiciRequest(req.url, {
        method: req.method as Dispatcher.HttpMethod,
        headers: req.headers,
        body: req.body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
      });
    } catch (err) {
      throw transportError(err, where);
    }
    const headers = flattenHeaders(res.headers);
    const declared = Number(headers['content-length'] ?? Number.NaN);
    if (declared > maxBody) {
      res.body.destroy();
      throw tooLarge(maxBody, res.statusCode, where);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > maxBody) {
          res.body.destroy();
          throw tooLarge(maxBody, res.statusCode, where);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      if (err instanceof DavError) throw err;
      throw transportError(err, { ...where, status: res.statusCode });
    }
    return { status: res.statusCode, headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url };
  };
}

function tooLarge(limit: number, status: number, where: { method: string; url: string }): DavError {
  return new DavError(
    'DAV_ERR_BODY_TOO_LARGE',
    `Response body exceeds ${limit} bytes; refused without processing`,
    { ...where, status, limit },
  );
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function transportError(err: unknown, where: { method: string; url: string; status?: number }): DavError {
  const code = (err as { code?: string } | null)?.code ?? '';
  if (TIMEOUT_CODES.has(code)) {
    return new DavError('DAV_ERR_TIMEOUT', `${where.method} timed out (${code})`, where, { cause: err });
  }
  const detail = code || (err instanceof Error ? err.message : String(err));
  return new DavError('DAV_ERR_NETWORK', `${where.method} failed: ${detail}`, where, { cause: err });
}

function flattenHeaders(
  h: Record<string, string | string[] | undefined>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
