/** Default cap on one frame: far above any status answer, far below a memory problem. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

export type Frame =
  | { kind: 'frame'; text: string }
  | { kind: 'too-large'; bytes: number }
  /** Keeping the unfinished frame would pass the budget shared by every connection. */
  | { kind: 'over-budget'; bytes: number };

/**
 * Bytes of unfinished frames held across every connection (issue 13 §4: 600 connections each
 * sending 1 MB without a newline kept 600 MB). One object shared by the server's decoders.
 */
export class FrameBudget {
  used = 0;
  readonly max: number;

  constructor(max: number) {
    this.max = max;
  }
}

/**
 * Splits a byte stream into newline-delimited frames, with a size cap checked while bytes
 * arrive (a peer that never sends "\n" cannot make us buffer without bound). Pure: fed
 * buffers, returns frames; the socket lives in connection.ts.
 */
export class LineDecoder {
  readonly #max: number;
  readonly #budget: FrameBudget | undefined;
  #parts: Buffer[] = [];
  #size = 0;
  /** Once a frame overflowed the rest of the stream is unusable: we cannot find its end. */
  #broken = false;

  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES, budget?: FrameBudget) {
    this.#max = maxFrameBytes;
    this.#budget = budget;
  }

  /** Bytes of the unfinished frame held now. */
  get buffered(): number {
    return this.#size;
  }

  /** Gives the held bytes back to the budget (the connection closed). */
  release(): void {
    this.#clear();
    this.#broken = true;
  }

  #clear(): void {
    if (this.#budget) this.#budget.used -= this.#size;
    this.#parts = [];
    this.#size = 0;
  }

  push(chunk: Buffer): Frame[] {
    if (this.#broken) return [];
    const out: Frame[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      const size = this.#size + piece.length;
      if (size > this.#max) return this.#overflow(out, size);
      const text = (this.#size === 0 ? piece : Buffer.concat([...this.#parts, piece])).toString('utf8');
      this.#clear();
      // Blank lines between frames (an operator typing in socat) are not errors.
      if (text.trim() !== '') out.push({ kind: 'frame', text });
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      // Both caps are checked before the bytes are copied.
      if (this.#size + rest.length > this.#max) return this.#overflow(out, this.#size + rest.length);
      if (this.#budget && this.#budget.used + rest.length > this.#budget.max)
        return this.#overflow(out, this.#size + rest.length, 'over-budget');
      this.#size += rest.length;
      if (this.#budget) this.#budget.used += rest.length;
      this.#parts.push(Buffer.from(rest));
    }
    return out;
  }

  #overflow(out: Frame[], bytes: number, kind: 'too-large' | 'over-budget' = 'too-large'): Frame[] {
    this.#broken = true;
    this.#clear();
    out.push({ kind, bytes });
    return out;
  }
}

/** One frame on the wire. */
export function encodeFrame(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}

/**
 * A JSON-RPC 2.0 notification frame, the same bytes json-rpc-2.0's `notify` sends, built
 * without its promise per call (the daemon sends one per signal and subscriber).
 */
export function notificationFrame(method: string, params: unknown): string {
  return encodeFrame({ jsonrpc: '2.0', method, params });
}
