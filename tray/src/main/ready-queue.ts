/**
 * Holds pushes for pages that have not said they listen yet (Fiddle's readyWebContents and
 * messageQueue), keeping only the latest payload per event: a page that loads slowly gets the
 * current status once, not every status it missed. Pure, so it is tested without Electron.
 */
export class ReadyQueue<Target extends object, Name extends string> {
  readonly #ready = new WeakSet<Target>();
  readonly #queued = new WeakMap<Target, Map<Name, unknown>>();

  /** Delivers now when the target is ready; otherwise keeps the payload, replacing an older one. */
  push(target: Target, name: Name, payload: unknown, deliver: (name: Name, payload: unknown) => void): void {
    if (this.#ready.has(target)) {
      deliver(name, payload);
      return;
    }
    const queue = this.#queued.get(target) ?? new Map<Name, unknown>();
    queue.delete(name); // re-insert so events keep the order of their latest push
    queue.set(name, payload);
    this.#queued.set(target, queue);
  }

  /** The target listens now: flush what was held, in order, then deliver directly. */
  ready(target: Target, deliver: (name: Name, payload: unknown) => void): void {
    this.#ready.add(target);
    const queue = this.#queued.get(target);
    this.#queued.delete(target);
    for (const [name, payload] of queue ?? []) deliver(name, payload);
  }
}
