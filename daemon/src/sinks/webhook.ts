import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { type Dispatcher, request } from 'undici';
import type { WebhookConfig } from '../config/rules';
import type { Sink, SinkLedger } from '../hub/types';
import type { ChangeSignal } from '../signal';
import { safeUrl } from '../net/safe-url';
import { backoffDelay, parseRetryAfter } from '../retry/backoff';
import type { SecretSource } from '../secrets/types';
import { emit } from '../channels';
import { sinkChannels } from './channels';
import { SinkError } from './errors';

/** Options for {@link createWebhook}. */
export interface WebhookOptions {
  config: WebhookConfig;
  log: Logger;
  /** The signing key named by `config.secret`, fetched for every attempt and never kept. */
  secret?: SecretSource;
  /** HTTP client (createDispatcher from net/ for proxies and CAs). Default: undici's global. */
  dispatcher?: Dispatcher;
  /** Back-off tuning; `random` is injected for tests. Defaults: 1 s base, 5 min cap. */
  backoff?: { baseMs?: number; capMs?: number; random?: () => number };
}

/** The signature header: hex HMAC-SHA256 of the exact body bytes, as GitHub's X-Hub-Signature-256. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Statuses worth another attempt: the receiver may recover (RFC 9110 §15.5.9, §15.6; RFC 6585 §4; RFC 8470 §5.2). */
function retryable(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

const USER_AGENT = 'Tidings-Webhook/1';

interface Job {
  signal: ChangeSignal;
  attempt: number;
}

/** Ledger entries read ahead per page (durable mode). */
const LEDGER_PAGE = 32;

/**
 * POSTs each signal as JSON to a URL, in order, one at a time: `X-Tidings-Signature:
 * sha256=<hmac>` when a secret is configured, `X-Tidings-Delivery: <signal id>` for the
 * receiver's de-duplication. 5xx, 408, 425, 429 and network errors are retried with
 * `backoffDelay` (honouring Retry-After) up to `maxAttempts`; other statuses drop the signal.
 * The queue holds `queueSize` signals; when full, deliver() returns false and the hub
 * coalesces per folder until the queue drains.
 */
export function createWebhook(opts: WebhookOptions): Sink {
  const { config, log } = opts;
  const url = safeUrl(config.url);
  const queue: Job[] = [];
  let busy = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let inFlight: AbortController | undefined;
  let resume: (() => void) | undefined;
  let closed = false;
  /**
   * Durable mode (attachLedger, issue 13 §7): the queue is a page of the store's ledger; each
   * attempt is noted in the ledger before the POST and the entry is settled after the answer,
   * so a kill -9 neither loses a signal nor sends it under another id. A POST in flight at the
   * kill is sent again (same X-Tidings-Delivery, X-Tidings-Attempt higher): receivers drop it
   * by the delivery id — an HTTP request that may have arrived cannot be taken back.
   */
  let ledger: SinkLedger | undefined;
  let lastSeq = 0;

  function event(job: Job, outcome: 'delivered' | 'retry' | 'failed', extra: object = {}): void {
    emit(sinkChannels.webhook, () => ({
      sink: config.name,
      signalId: job.signal.id,
      attempt: job.attempt,
      outcome,
      ...extra,
    }));
  }

  /** Removes the head job (delivered or given up) and resumes the hub if that made room. */
  function finish(): void {
    const wasFull = queue.length >= config.queueSize;
    const done = queue.shift();
    if (ledger && done) {
      try {
        ledger.done(done.signal.id);
      } catch (err) {
        // Still owed in the ledger: sent again on the next start (same delivery id).
        log.error(
          { err, webhook: config.name, signalId: done.signal.id },
          'could not settle a webhook delivery',
        );
      }
    }
    if (wasFull && !ledger) resume?.();
    pump();
  }

  function pump(): void {
    if (busy || closed || retryTimer) return;
    if (ledger && queue.length === 0) {
      try {
        for (const e of ledger.open(lastSeq, LEDGER_PAGE)) {
          queue.push({ signal: e.signal, attempt: e.attempts });
          lastSeq = e.seq;
        }
      } catch (err) {
        log.error({ err, webhook: config.name }, 'could not read the webhook ledger');
      }
    }
    const job = queue[0];
    if (!job) return;
    if (ledger) {
      try {
        ledger.begin(job.signal.id);
      } catch (err) {
        log.error(
          { err, webhook: config.name },
          'could not note a webhook attempt; retried on the next start',
        );
        queue.length = 0;
        return;
      }
    }
    busy = true;
    job.attempt++;
    void attempt(job).finally(() => {
      busy = false;
      pump();
    });
  }

  async function attempt(job: Job): Promise<void> {
    const body = JSON.stringify(job.signal);
    const headers: Record<string, string> = {
      ...config.headers,
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'x-tidings-event': 'signal',
      'x-tidings-delivery': job.signal.id,
      // Above 1 the receiver may have the signal already (a retry, or a POST in flight when the
      // daemon died): drop it by the delivery id.
      'x-tidings-attempt': String(job.attempt),
    };
    let status: number | undefined;
    let retryAfterMs: number | undefined;
    let cause: unknown;
    try {
      if (opts.secret) {
        let key: string;
        try {
          key = await opts.secret.get();
        } catch (err) {
          throw new SinkError(
            'SINK_ERR_SECRET',
            `webhook ${config.name}: cannot fetch the signing secret`,
            {
              sink: config.name,
              signalId: job.signal.id,
            },
            { cause: err },
          );
        }
        headers['x-tidings-signature'] = signBody(key, body);
      }
      inFlight = new AbortController();
      const res = await request(config.url, {
        method: 'POST',
        body,
        headers,
        dispatcher: opts.dispatcher,
        signal: inFlight.signal,
        headersTimeout: config.timeoutSeconds * 1000,
        bodyTimeout: config.timeoutSeconds * 1000,
      });
      status = res.statusCode;
      const ra = res.headers['retry-after'];
      retryAfterMs = parseRetryAfter(Array.isArray(ra) ? ra[0] : ra);
      await res.body.dump();
    } catch (err) {
      cause = err;
    } finally {
      inFlight = undefined;
    }
    if (closed) return;

    if (status !== undefined && status >= 200 && status < 300) {
      log.debug(
        { webhook: config.name, signalId: job.signal.id, status, attempt: job.attempt },
        'webhook delivered',
      );
      event(job, 'delivered', { status });
      return finish();
    }
    const ctx = { sink: config.name, signalId: job.signal.id, url, status, attempt: job.attempt };
    if (status !== undefined && !retryable(status)) {
      const err = new SinkError(
        'SINK_ERR_WEBHOOK_HTTP',
        `webhook ${config.name}: ${url} answered ${status}${status < 400 ? ' (redirects are not followed; configure the final URL)' : ''}; signal dropped`,
        ctx,
      );
      log.error({ err, code: err.code }, err.message);
      event(job, 'failed', { status, error: err });
      return finish();
    }
    const error =
      cause instanceof SinkError
        ? cause
        : new SinkError(
            'SINK_ERR_WEBHOOK_NETWORK',
            status !== undefined
              ? `webhook ${config.name}: ${url} answered ${status}`
              : `webhook ${config.name}: ${url}: ${(cause as Error)?.message ?? 'request failed'}`,
            ctx,
            { cause },
          );
    if (job.attempt >= config.maxAttempts) {
      const err = new SinkError(
        'SINK_ERR_WEBHOOK_GAVE_UP',
        `webhook ${config.name}: gave up after ${job.attempt} attempts (${error.message}); signal dropped`,
        ctx,
        { cause: error },
      );
      log.error({ err, code: err.code }, err.message);
      event(job, 'failed', { status, error: err });
      return finish();
    }
    const delayMs = backoffDelay(job.attempt - 1, retryAfterMs, {
      baseMs: opts.backoff?.baseMs ?? 1_000,
      capMs: opts.backoff?.capMs ?? 5 * 60_000,
      random: opts.backoff?.random,
    });
    log.warn({ err: error, code: error.code, delayMs }, `${error.message}; retrying`);
    event(job, 'retry', { status, delayMs, error });
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      pump();
    }, delayMs);
    retryTimer.unref();
  }

  return {
    name: config.name,
    role: 'hook',
    attachLedger(l) {
      ledger = l;
      // What a previous life still owed goes first, in order.
      pump();
    },
    deliver(signal) {
      if (closed) return true;
      // Durable: the entry is in the ledger already; the ledger is the queue, never busy.
      if (ledger) {
        pump();
        return true;
      }
      if (queue.length >= config.queueSize) {
        const err = new SinkError(
          'SINK_ERR_WEBHOOK_OVERFLOW',
          `webhook ${config.name}: queue full, signal dropped`,
          {
            sink: config.name,
            signalId: signal.id,
          },
        );
        log.error({ err, code: err.code }, err.message);
        return false;
      }
      queue.push({ signal, attempt: 0 });
      pump();
      return queue.length < config.queueSize;
    },
    onDrain(fn) {
      resume = fn;
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      inFlight?.abort();
      queue.length = 0;
    },
  };
}
