import { busy, byId, errorText, field, h, say, showFieldErrors } from '../dom';
import { checkQuietHours } from '../form-validation';

/** Monday first, as calendars in most locales show the week; values are Date#getDay() numbers. */
const DAYS: [number, string][] = [
  [1, 'Mon'],
  [2, 'Tue'],
  [3, 'Wed'],
  [4, 'Thu'],
  [5, 'Fri'],
  [6, 'Sat'],
  [0, 'Sun'],
];

/** The quiet-hours page: when desktop notifications stay silent. */
export function setupQuietHoursPage(): { reload: () => Promise<void> } {
  const form = byId<HTMLFormElement>('quiet-form');
  const notice = byId('quiet-notice');
  const enabled = form.elements.namedItem('enabled') as HTMLInputElement;
  byId('quiet-days').replaceChildren(
    ...DAYS.map(([n, label]) =>
      h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'day', value: String(n) }), label),
    ),
  );

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const days = [...form.querySelectorAll<HTMLInputElement>('input[name="day"]:checked')].map((i) =>
      Number(i.value),
    );
    const checked = checkQuietHours({
      enabled: enabled.checked,
      start: field(form, 'start'),
      end: field(form, 'end'),
      days,
    });
    showFieldErrors(form, checked.ok ? {} : checked.errors);
    if (!checked.ok) return;
    const r = await busy(form.querySelector<HTMLButtonElement>('button[type="submit"]')!, () =>
      window.tidings.setQuietHours(checked.value),
    );
    if (!r.ok) return say(notice, 'error', errorText(r.error));
    say(
      notice,
      'ok',
      r.value.enabled ? `Quiet from ${r.value.start} until ${r.value.end}.` : 'Quiet hours are off.',
    );
  });

  return {
    async reload() {
      const r = await window.tidings.getQuietHours();
      if (!r.ok) return say(notice, 'error', errorText(r.error));
      enabled.checked = r.value.enabled;
      (form.elements.namedItem('start') as HTMLInputElement).value = r.value.start;
      (form.elements.namedItem('end') as HTMLInputElement).value = r.value.end;
      for (const box of form.querySelectorAll<HTMLInputElement>('input[name="day"]')) {
        box.checked = r.value.days.includes(Number(box.value));
      }
    },
  };
}
