/** One dispatched server-sent event (HTML Living Standard, "Server-sent events" §9.2.6). */
export interface SseEvent {
  /** `event:` field; "message" when absent. */
  type: string;
  data: string;
  /** The last event id after this event (sticky, as the standard says). */
  lastEventId: string;
}

/**
 * A text/event-stream parser fed decoded text in any chunking: lines end in CRLF, LF or CR,
 * `:` lines are comments (pings often are), an empty line dispatches. A line or an event's data
 * longer than `maxBytes` characters throws before it grows further: an endless line stops at the
 * cap, not at the heap limit.
 */
export class SseParser {
  #buf = '';
  #data: string[] = [];
  #dataSize = 0;
  #type = '';
  #lastId: string;
  #maxBytes: number;
  #pendingCr = false;

  constructor(opts: { lastEventId?: string; maxBytes?: number } = {}) {
    this.#lastId = opts.lastEventId ?? '';
    this.#maxBytes = opts.maxBytes ?? 256 * 1024;
  }

  get lastEventId(): string {
    return this.#lastId;
  }

  /** Feeds text; returns the events it completed. */
  feed(text: string): SseEvent[] {
    const out: SseEvent[] = [];
    let s = text;
    // A CR at the end of the last chunk and an LF at the start of this one are one line end.
    if (this.#pendingCr && s.startsWith('\n')) s = s.slice(1);
    this.#pendingCr = false;
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#line(this.#buf + s.slice(start, i), out);
      this.#buf = '';
      if (c === 13) {
        if (i + 1 < s.length) {
          if (s.charCodeAt(i + 1) === 10) i++;
        } else this.#pendingCr = true;
      }
      start = i + 1;
    }
    this.#buf += s.slice(start);
    if (this.#buf.length > this.#maxBytes)
      throw new RangeError(`an event-stream line is longer than ${this.#maxBytes}`);
    return out;
  }

  #line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.#data.length > 0) {
        out.push({ type: this.#type || 'message', data: this.#data.join('\n'), lastEventId: this.#lastId });
      }
      this.#data = [];
      this.#dataSize = 0;
      this.#type = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.#dataSize += value.length + 1;
      if (this.#dataSize > this.#maxBytes) throw new RangeError(`an event is larger than ${this.#maxBytes}`);
      this.#data.push(value);
    } else if (field === 'event') this.#type = value;
    else if (field === 'id' && !value.includes('\u0000')) this.#lastId = value;
    // `retry:` is ignored: our back-off decides when to reconnect.
  }
}
