import type { Dispatcher } from 'undici';
import type { Clock } from '../../clock';
import { JmapError, safeUrl } from '../errors';
import { statusError, transportError } from '../transport';
import type { PushChannel, PushEnd, PushHandlers } from './channel';
import { SseParser } from './sse';
import { parseStateChange, PUSH_TYPES } from './statechange';

export interface EventSourceOptions {
  /** The session's eventSourceUrl template (RFC 8620 §7.3). */
  template: string;
  accountId: string;
  /** Seconds between the server's pings (`ping=`); the stream counts as stalled after 2× this + grace. */
  pingSeconds: number;
  /** Extra allowance before a silent stream counts as stalled, ms. */
  graceMs: number;
  /** Deadline for the response headers, ms. */
  connectMs: number;
  /** Largest single event, bytes. */
  maxEventBytes?: number;
  /** Sent as Last-Event-ID so a server that keeps history can resume (HTML §9.2.4). */
  lastEventId?: string;
  /** Data types to hear about (`types=`); default PUSH_TYPES (Email, Mailbox). */
  types?: readonly string[];
  dispatcher: Dispatcher;
  authorization(): Promise<string>;
  clock: Clock;
}

/** The first `max` bytes of a body; the rest is not read (the socket is destroyed). */
async function head(body: Dispatcher.ResponseData['body'], max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= max) break;
    }
  } catch {
    // a failed error body is still an error status
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, max);
}

/**
 * Expands the RFC 8620 §7.3 URL template: `types` (the data types to hear about), `closeafter=no`
 * (keep the stream open after a state event) and `ping` (seconds between pings, so a silent
 * stream can be told from a dead one).
 */
export function eventSourceUrl(
  template: string,
  pingSeconds: number,
  types: readonly string[] = PUSH_TYPES,
): URL {
  const values: Record<string, string> = {
    types: types.join(','),
    closeafter: 'no',
    ping: String(pingSeconds),
  };
  return new URL(template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? '')));
}

/**
 * One EventSource connection: `state` events become onChange; any byte (a `ping` event, a
 * comment) proves the stream alive. No byte within 2×ping + grace → JMAP_ERR_PUSH (stalled), so a
 * half-open TCP connection is noticed in minutes, not hours. The caller reconnects with back-off.
 */
export function openEventSource(
  opts: EventSourceOptions,
  on: PushHandlers,
): PushChannel & { lastEventId(): string } {
  const url = eventSourceUrl(opts.template, opts.pingSeconds, opts.types);
  const controller = new AbortController();
  const started = opts.clock.now();
  const parser = new SseParser({
    ...(opts.lastEventId ? { lastEventId: opts.lastEventId } : {}),
    maxBytes: opts.maxEventBytes ?? 256 * 1024,
  });
  let events = 0;
  let timer: unknown;
  let closed = false;
  const stallMs = opts.pingSeconds * 2000 + opts.graceMs;

  const end = (extra: Partial<PushEnd> = {}): PushEnd => ({
    events,
    openMs: opts.clock.now() - started,
    ...extra,
  });

  const ended = (async (): Promise<PushEnd> => {
    let res: Dispatcher.ResponseData;
    try {
      res = await opts.dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'GET',
        headers: {
          accept: 'text/event-stream',
          'cache-control': 'no-cache',
          authorization: await opts.authorization(),
          ...(parser.lastEventId ? { 'last-event-id': parser.lastEventId } : {}),
        },
        headersTimeout: opts.connectMs,
        // Our own stall timer watches the body; undici's would end a quiet but healthy stream.
        bodyTimeout: 0,
        signal: controller.signal,
      });
    } catch (err) {
      return end({ error: closed ? undefined : transportError(err, 'EventSource', url) });
    }
    if (res.statusCode === 204) {
      await res.body.dump().catch(() => undefined);
      return end({ noContent: true });
    }
    if (res.statusCode < 200 || res.statusCode > 299) {
      // Enough of the body for a problem-details message; never the whole of a hostile one.
      const body = await head(res.body, 4096);
      return end({
        error: statusError(
          { statusCode: res.statusCode, headers: res.headers, body },
          'EventSource',
          url,
          opts.clock.now(),
        ),
      });
    }
    on.onOpen();
    const decoder = new TextDecoder();
    const arm = () => {
      if (closed) return;
      if (timer !== undefined) opts.clock.clearTimeout(timer);
      timer = opts.clock.setTimeout(() => {
        timer = undefined;
        controller.abort(
          new JmapError(
            'JMAP_ERR_PUSH',
            `the EventSource stream sent nothing for ${Math.round(stallMs / 1000)} s (ping every ${opts.pingSeconds} s): stalled`,
            { request: 'EventSource', url: safeUrl(url), limit: stallMs },
          ),
        );
      }, stallMs);
    };
    arm();
    try {
      for await (const chunk of res.body) {
        arm();
        for (const ev of parser.feed(decoder.decode(chunk as Buffer, { stream: true }))) {
          events++;
          if (ev.type !== 'state') continue;
          let json: unknown;
          try {
            json = JSON.parse(ev.data);
          } catch {
            continue;
          }
          const states = parseStateChange(json, opts.accountId);
          if (states) on.onChange(states);
        }
      }
      return end();
    } catch (err) {
      if (closed) return end();
      const reason = controller.signal.aborted ? controller.signal.reason : err;
      if (reason instanceof JmapError) return end({ error: reason });
      if (err instanceof RangeError)
        return end({
          error: new JmapError('JMAP_ERR_TOO_LARGE', `EventSource: ${err.message}`, {
            request: 'EventSource',
            url: safeUrl(url),
          }),
        });
      return end({ error: transportError(err, 'EventSource', url) });
    } finally {
      if (timer !== undefined) opts.clock.clearTimeout(timer);
      timer = undefined;
      res.body.destroy();
    }
  })();

  return {
    ended,
    lastEventId: () => parser.lastEventId,
    close() {
      if (closed) return;
      closed = true;
      // Cleared now, not when the aborted body loop unwinds: a stopped watcher leaves no timer.
      if (timer !== undefined) opts.clock.clearTimeout(timer);
      timer = undefined;
      controller.abort();
    },
  };
}
