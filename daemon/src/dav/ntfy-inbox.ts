import { type Dispatcher, request } from 'undici';
import { backoffDelay } from '../retry/backoff';
import type { PushInbox } from './push';
import { type Clock, systemClock } from '../clock';

/** Time and timers the inbox uses for reconnecting; real ones by default. */
export type InboxClock = Pick<Clock, 'setTimeout' | 'clearTimeout'>;

export interface NtfyInboxOptions {
  /** The topic URL (https://ntfy.example/tidings-<random>): the push resource servers POST to. */
  topicUrl: string;
  dispatcher?: Dispatcher;
  clock?: InboxClock;
  /** Called when the stream fails (for logs); the inbox reconnects by itself. */
  onError?(err: unknown): void;
  /** Longest line accepted from the stream, bytes. Default 64 KiB. */
  maxLineBytes?: number;
}

/** A PushInbox that can be closed for good. */
export interface ClosablePushInbox extends PushInbox {
  close(): Promise<void>;
}

/**
 * A PushInbox over an ntfy topic (UnifiedPush-compatible push server): the topic URL is the Web
 * Push resource the DAV server POSTs to, and the inbox reads ntfy's JSON stream
 * (`GET <topic>/json`, one JSON object per line, `event: "message"`), reconnecting with back-off
 * and `since=<last id>` so a reconnect does not lose messages. The stream is open only while
 * someone listens. Messages are handed over as text; ntfy base64-encodes binary bodies.
 */
export function createNtfyInbox(opts: NtfyInboxOptions): ClosablePushInbox {
  const clock = opts.clock ?? systemClock;
  const maxLine = opts.maxLineBytes ?? 64 * 1024;
  const listeners = new Set<(body: string) => void>();
  let abort: AbortController | undefined;
  let timer: unknown;
  let lastId: string | undefined;
  let attempt = 0;
  let running: Promise<void> | undefined;

  function open(): void {
    if (abort || listeners.size === 0) return;
    const ctl = new AbortController();
    abort = ctl;
    running = stream(ctl.signal).then(
      () => retry(ctl, undefined),
      (err: unknown) => retry(ctl, err),
    );
  }

  function retry(ctl: AbortController, err: unknown): void {
    if (abort !== ctl) return;
    abort = undefined;
    if (ctl.signal.aborted || listeners.size === 0) return;
    if (err !== undefined) opts.onError?.(err);
    timer = clock.setTimeout(
      () => {
        timer = undefined;
        open();
      },
      backoffDelay(attempt++, undefined, { baseMs: 1_000, capMs: 5 * 60_000 }),
    );
  }

  async function stream(signal: AbortSignal): Promise<void> {
    const url = new URL(`${opts.topicUrl.replace(/\/$/, '')}/json`);
    if (lastId !== undefined) url.searchParams.set('since', lastId);
    const res = await request(url, {
      method: 'GET',
      signal,
      // ntfy sends a keepalive line every 45 s; two missed ones mean the stream is dead.
      bodyTimeout: 120_000,
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
    });
    if (res.statusCode !== 200) {
      res.body.destroy();
      throw new Error(`ntfy subscribe answered HTTP ${res.statusCode}`);
    }
    attempt = 0;
    let buf = '';
    for await (const chunk of res.body) {
      buf += (chunk as Buffer).toString('utf8');
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        deliver(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
      }
      if (buf.length > maxLine) {
        res.body.destroy();
        throw new Error(`ntfy stream line longer than ${maxLine} bytes`);
      }
    }
  }

  function deliver(line: string): void {
    if (line.trim() === '') return;
    let msg: { id?: unknown; event?: unknown; message?: unknown; encoding?: unknown };
    try {
      msg = JSON.parse(line);
    } catch {
      return; // a line we cannot read is not a message; the next check catches up anyway
    }
    if (typeof msg.id === 'string') lastId = msg.id;
    if (msg.event !== 'message' || typeof msg.message !== 'string') return;
    const body =
      msg.encoding === 'base64' ? Buffer.from(msg.message, 'base64').toString('utf8') : msg.message;
    for (const l of listeners) l(body);
  }

  function shut(): Promise<void> {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    abort?.abort();
    abort = undefined;
    return running ?? Promise.resolve();
  }

  return {
    endpoint: opts.topicUrl,
    subscribe(listener) {
      listeners.add(listener);
      open();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) void shut();
      };
    },
    close() {
      listeners.clear();
      return shut();
    },
  };
}
