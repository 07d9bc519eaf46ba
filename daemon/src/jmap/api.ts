import { JmapError, type JmapErrorCode, safeUrl } from './errors';
import type { JmapSession } from './session';
import type { JmapHttp } from './transport';
import { CAP_CORE, CAP_MAIL, type Invocation } from './types';

/** One method call with its answer parser: what each method file (email-changes.ts, …) builds. */
export interface MethodCall<T> {
  name: string;
  args: Record<string, unknown>;
  parse(args: Record<string, unknown>): T;
  /**
   * Capabilities the method needs beyond core and mail (RFC 8620 §3.3 `using`): a server answers
   * unknownMethod for a method whose capability the request does not name.
   */
  using?: readonly string[];
}

/** What an API request answered, beyond the method results. */
export interface ApiAnswer<T extends unknown[]> {
  results: T;
  /** RFC 8620 §3.4 `sessionState`: differs from the session's `state` when the session changed. */
  sessionState: string | undefined;
}

/** RFC 8620 §3.6.2 method errors and the codes they map to; anything else is JMAP_ERR_METHOD. */
const METHOD_ERRORS: Record<string, JmapErrorCode> = {
  cannotCalculateChanges: 'JMAP_ERR_CANNOT_CALCULATE',
  serverFail: 'JMAP_ERR_SERVER',
  serverUnavailable: 'JMAP_ERR_SERVER',
  serverPartialFail: 'JMAP_ERR_SERVER',
  accountNotFound: 'JMAP_ERR_FORBIDDEN',
  accountNotSupportedByMethod: 'JMAP_ERR_FORBIDDEN',
  accountReadOnly: 'JMAP_ERR_FORBIDDEN',
  forbidden: 'JMAP_ERR_FORBIDDEN',
};

type Results<C extends MethodCall<unknown>[]> = {
  [K in keyof C]: C[K] extends MethodCall<infer T> ? T : never;
};

/**
 * Sends one JMAP Request (RFC 8620 §3.3) holding `calls`, in order, with call ids "0", "1", …,
 * and parses each answer with its call's parser. A method error becomes a JmapError (the first
 * one wins: later calls may depend on it through result references).
 */
export async function request<C extends MethodCall<unknown>[]>(
  http: JmapHttp,
  session: Pick<JmapSession, 'apiUrl'>,
  calls: [...C],
): Promise<ApiAnswer<Results<C>>> {
  const apiUrl = new URL(session.apiUrl);
  const using = new Set<string>([CAP_CORE, CAP_MAIL]);
  for (const c of calls) for (const u of c.using ?? []) using.add(u);
  const body = {
    using: [...using],
    methodCalls: calls.map((c, i): Invocation => [c.name, c.args, String(i)]),
  };
  const what = calls.map((c) => c.name).join(' + ');
  const json = (await http.postJson(apiUrl, body, what)) as {
    methodResponses?: unknown;
    sessionState?: unknown;
  };
  const where = { request: what, url: safeUrl(apiUrl) };
  if (typeof json !== 'object' || json === null || !Array.isArray(json.methodResponses))
    throw new JmapError('JMAP_ERR_PROTOCOL', `${what}: the answer has no methodResponses`, where);
  const responses = json.methodResponses as unknown[];
  const results = calls.map((call, i) => {
    // One call may have several answers (implicit calls, RFC 8620 §5.4); ours is the one with our name.
    const mine = responses.filter(
      (r): r is Invocation =>
        Array.isArray(r) && r.length === 3 && r[2] === String(i) && typeof r[1] === 'object',
    );
    const error = mine.find((r) => r[0] === 'error');
    if (error) {
      const type = typeof error[1].type === 'string' ? error[1].type : 'unknown';
      const text = typeof error[1].description === 'string' ? error[1].description.slice(0, 300) : undefined;
      throw new JmapError(
        METHOD_ERRORS[type] ?? 'JMAP_ERR_METHOD',
        `${call.name} failed: ${type}${text ? ` (${text})` : ''}`,
        { ...where, request: call.name, type, ...(text ? { serverText: text } : {}) },
      );
    }
    const answer = mine.find((r) => r[0] === call.name);
    if (!answer)
      throw new JmapError('JMAP_ERR_PROTOCOL', `${call.name}: no answer in methodResponses`, where);
    try {
      return call.parse(answer[1]);
    } catch (err) {
      if (err instanceof JmapError) throw err;
      throw new JmapError(
        'JMAP_ERR_PROTOCOL',
        `${call.name}: ${err instanceof Error ? err.message : String(err)}`,
        { ...where, request: call.name },
        { cause: err },
      );
    }
  }) as Results<C>;
  return { results, sessionState: typeof json.sessionState === 'string' ? json.sessionState : undefined };
}

/** Field readers for parsers: they throw a plain Error that request() turns into JMAP_ERR_PROTOCOL. */
export function str(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new Error(`"${key}" is not a string`);
  return v;
}

export function ids(o: Record<string, unknown>, key: string): string[] {
  const v = o[key];
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new Error(`"${key}" is not a list of ids`);
  return v as string[];
}

export function list(o: Record<string, unknown>, key: string): Record<string, unknown>[] {
  const v = o[key];
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null))
    throw new Error(`"${key}" is not a list of objects`);
  return v as Record<string, unknown>[];
}
