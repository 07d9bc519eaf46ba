import type { Weekday } from '../../../../daemon/src/config/rules';
import { busy, byId, errorText, field, h, say, showFieldErrors } from '../dom';
import { checkQuietHours } from '../form-validation';

const DAYS: [Weekday, string][] = [
  ['mon', 'Mon'],
  ['tue', 'Tue'],
  ['wed', 'Wed'],
  ['thu', 'Thu'],
  ['fri', 'Fri'],
  ['sat', 'Sat'],
  ['sun', 'Sun'],
];

/** The quiet-hours page: the daemon's `notifications.quietHours`, which its hub applies. */
export function setupQuietHoursPage(): { reload: () => Promise<void> } {
  const form = byId<HTMLFormElement>('quiet-form');
  const notice = byId('quiet-notice');
  const enabled = form.elements.namedItem('enabled') as HTMLInputElement;
  const input = (name: string) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
  byId('quiet-days').replaceChildren(
    ...DAYS.map(([value, label]) =>
      h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'day', value }), label),
    ),
  );

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const days = [...form.querySelectorAll<HTMLInputElement>('input[name="day"]:checked')].map(
      (i) => i.value as Weekday,
    );
    const checked = checkQuietHours({
      enabled: enabled.checked,
      start: field(form, 'start'),
      end: field(form, 'end'),
      days,
      during: field(form, 'during'),
    });
    showFieldErrors(form, checked.ok ? {} : checked.errors);
    if (!checked.ok) return;
    const r = await busy(form.querySelector<HTMLButtonElement>('button[type="submit"]')!, () =>
      window.tidings.setQuietHours(checked.value),
    );
    if (!r.ok) return say(notice, 'error', errorText(r.error));
    say(notice, 'ok', r.value ? `Quiet from ${r.value.start} until ${r.value.end}.` : 'Quiet hours are off.');
  });

  return {
    async reload() {
      const r = await window.tidings.getQuietHours();
      if (!r.ok) return say(notice, 'error', errorText(r.error));
      const q = r.value;
      enabled.checked = q !== null;
      input('start').value = q?.start ?? '22:00';
      input('end').value = q?.end ?? '07:00';
      input('during').value = q?.during ?? 'hold';
      for (const box of form.querySelectorAll<HTMLInputElement>('input[name="day"]')) {
        box.checked = q?.days?.includes(box.value as Weekday) ?? false;
      }
    },
  };
}
