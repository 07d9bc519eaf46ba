/**
 * What the rooms' error classes share (undici's errors.js habit): a stable `code` callers branch
 * on, the facts of the failure in `context`, and the cause kept. Each room subclasses it with its
 * own `name`, code union and context type, so `instanceof DavError` still tells rooms apart and
 * scripts/gen-errors.ts still finds each room's codes in its own errors.ts.
 */
export class CodedError<Code extends string, Context extends object> extends Error {
  readonly code: Code;
  readonly context: Context;

  /** The context may be left out when every field of it is optional. */
  constructor(code: Code, message: string, ...rest: ContextArgs<Context>) {
    const [context, options] = rest;
    super(message, options);
    this.code = code;
    this.context = context ?? ({} as Context);
  }
}

type ErrorOptions = { cause?: unknown };
type ContextArgs<C> =
  Record<never, never> extends C
    ? [context?: C, options?: ErrorOptions]
    : [context: C, options?: ErrorOptions];
