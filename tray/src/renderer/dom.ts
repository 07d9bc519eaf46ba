import type { TrayErrorInfo } from '../errors';
import type { FieldErrors } from './form-validation';

type Attrs = Record<string, string | boolean | undefined>;
type Child = Node | string | undefined | false;

/**
 * Creates an element. Text is always set as text nodes, never as HTML, so a folder or sender
 * name from a server cannot inject markup (and the CSP forbids inline script anyway).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== undefined && c !== false) el.append(c);
  return el;
}

/** The element with this id, typed; a missing one is a bug in index.html. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

/** The current value of a named control in a form. */
export function field(form: HTMLFormElement, name: string): string {
  const el = form.elements.namedItem(name);
  return el instanceof HTMLInputElement || el instanceof HTMLSelectElement ? el.value : '';
}

/**
 * Shows each message under its field (`<p class="error" data-error-for="name">`), marks the
 * control aria-invalid, and focuses the first bad one. Clears fields that are fine now.
 */
export function showFieldErrors(form: HTMLFormElement, errors: FieldErrors): void {
  for (const p of form.querySelectorAll<HTMLElement>('[data-error-for]')) {
    const name = p.dataset.errorFor ?? '';
    const message = errors[name];
    p.textContent = message ?? '';
    p.hidden = message === undefined;
    const control = form.querySelector<HTMLElement>(`[name="${name}"]`);
    if (message === undefined) control?.removeAttribute('aria-invalid');
    else control?.setAttribute('aria-invalid', 'true');
  }
  const first = form.querySelector<HTMLElement>('[aria-invalid="true"]');
  first?.focus();
}

/** A one-line message in a page's status area: success, or an error with what to do. */
export function say(target: HTMLElement, kind: 'ok' | 'error' | 'info', text: string): void {
  target.className = `notice ${kind}`;
  target.textContent = text;
  target.hidden = false;
}

/** Words for an error from main; the field, when named, is shown with it. */
export function errorText(e: TrayErrorInfo): string {
  switch (e.code) {
    case 'TRAY_ERR_DAEMON_UNREACHABLE':
      return `Cannot reach the Tidings daemon. ${e.message}`;
    case 'TRAY_ERR_INVALID_INPUT':
      return e.field ? `${e.field}: ${e.message}` : e.message;
    default:
      return e.message;
  }
}

/** Disables a button while its call runs, so a double click does not add an account twice. */
export async function busy<T>(button: HTMLButtonElement, work: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
