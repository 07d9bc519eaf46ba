/** Where text goes; tests pass collectors. */
export interface Streams {
  /** Text, or bytes (wbxml encode writes WBXML). */
  stdout(chunk: string | Uint8Array): void;
  stderr(text: string): void;
}

/**
 * The one output sink of every command (npm's output module): `result` prints either JSON or
 * the text form, so `--json` behaves the same everywhere and tests capture everything.
 */
export class Output {
  readonly json: boolean;
  readonly #io: Streams;

  constructor(io: Streams, json: boolean) {
    this.#io = io;
    this.json = json;
  }

  /** A command's answer, or one event of `watch`: one JSON line with --json, else the text. */
  result(value: unknown, text: () => string): void {
    this.#io.stdout(this.json ? `${JSON.stringify(value)}\n` : `${text()}\n`);
  }

  /** Progress and hints for people: stderr, so stdout stays clean for pipes. */
  info(text: string): void {
    if (!this.json) this.#io.stderr(`${text}\n`);
  }

  /** An error: code and message, as JSON on stderr with --json. */
  error(code: string, message: string, extra: Record<string, unknown> = {}): void {
    this.#io.stderr(
      this.json
        ? `${JSON.stringify({ error: { code, message, ...extra } })}\n`
        : `tidings: ${message} (${code})\n`,
    );
  }

  /** Raw text to stdout (usage, wbxml output). */
  write(text: string | Uint8Array): void {
    this.#io.stdout(text);
  }

  get streams(): Streams {
    return this.#io;
  }
}
