import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { DesktopSinkConfig } from '../config/rules';
import type { Sink } from '../hub/types';
import type { ChangeSignal } from '../signal';
import { emit } from '../channels';
import { sinkChannels } from './channels';
import { SinkError } from './errors';
import { type FormatOptions, formatSignal, notableChanges } from './format';

/** The part of node-notifier the sink uses; tests pass their own. */
export interface Notifier {
  notify(
    notification: Record<string, unknown>,
    callback: (err: Error | string | null, response?: unknown) => void,
  ): unknown;
}

/**
 * node-notifier (with its dependencies and its per-platform wrappers) loads on the first
 * notification, not at start: most daemons show none for hours, or never (a tray is subscribed).
 */
let platformNotifier: Notifier | undefined;
const loadNotifier = (): Notifier =>
  (platformNotifier ??= createRequire(import.meta.url)('node-notifier') as Notifier);

/** Options for {@link createDesktopSink}. */
export interface DesktopSinkOptions {
  config: DesktopSinkConfig;
  log: Logger;
  /**
   * True while a tray client is subscribed: the tray shows its own notifications, and a person
   * must never see the same change twice.
   */
  isSuppressed: () => boolean;
  /** Default: node-notifier's notifier for this platform (`notify-send` on Linux and BSD). */
  notifier?: Notifier;
  /** Notifications being posted at once before the sink reports busy. Default 4. */
  maxInFlight?: number;
  format?: FormatOptions;
}

/**
 * Body markup of the Desktop Notifications spec ("body-markup" capability, a subset of HTML):
 * notify-send passes the body as markup, so `Alice <alice@x>` would be read as a tag.
 */
function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A desktop notification per signal through node-notifier — libnotify's `notify-send` on
 * Linux, Notification Center on macOS, toasts on Windows. node-notifier reports failure only
 * through its callback (and sometimes by throwing), so both end as a logged `SINK_ERR_DESKTOP`
 * and the daemon carries on. Only changes worth an interruption are shown (format.ts).
 */
export function createDesktopSink(opts: DesktopSinkOptions): Sink {
  const max = opts.maxInFlight ?? 4;
  const markup = process.platform !== 'darwin' && process.platform !== 'win32';
  let inFlight = 0;
  let failing = false;
  let resume: (() => void) | undefined;

  function failed(signal: ChangeSignal, cause: unknown): void {
    const err = new SinkError(
      'SINK_ERR_DESKTOP',
      `desktop notification failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { sink: 'desktop', signalId: signal.id },
      { cause },
    );
    // Warn once per streak: a server without a desktop session would otherwise log a warning
    // for every signal. The next success ends the streak.
    if (failing) opts.log.debug({ err, code: err.code }, 'desktop notification failed again');
    else
      opts.log.warn(
        { err, code: err.code },
        'desktop notification failed (further failures are logged at debug level)',
      );
    failing = true;
    emit(sinkChannels.desktop, () => ({ signalId: signal.id, outcome: 'failed', error: err }));
  }

  function settle(): void {
    const wasFull = inFlight >= max;
    inFlight--;
    if (wasFull) resume?.();
  }

  return {
    name: 'desktop',
    role: 'notifier',
    deliver(signal) {
      if (opts.isSuppressed()) {
        emit(sinkChannels.desktop, () => ({ signalId: signal.id, outcome: 'suppressed' }));
        return true;
      }
      const notable = notableChanges(signal);
      if (!notable) {
        emit(sinkChannels.desktop, () => ({ signalId: signal.id, outcome: 'skipped' }));
        return true;
      }
      const { title, body } = formatSignal(notable, opts.format);
      inFlight++;
      let settled = false;
      const done = (err: unknown) => {
        if (settled) return;
        settled = true;
        settle();
        if (err instanceof Error) failed(signal, err);
        else {
          failing = false;
          emit(sinkChannels.desktop, () => ({ signalId: signal.id, outcome: 'shown', title, body }));
        }
      };
      try {
        (opts.notifier ?? loadNotifier()).notify(
          {
            title,
            message: markup ? escapeMarkup(body) : body,
            'app-name': 'Tidings',
            urgency: opts.config.urgency,
            timeout: opts.config.expireSeconds,
            wait: false,
          },
          // On success node-notifier passes notify-send's stderr (usually '') as the first
          // argument; only an Error means failure.
          (err) => done(err),
        );
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
      return inFlight < max;
    },
    onDrain(fn) {
      resume = fn;
    },
  };
}
