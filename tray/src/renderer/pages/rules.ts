import type { AccountSummary } from '../../../../daemon/src/ipc/protocol';
import type { Rule, Rules } from '../../tray-settings';
import { busy, byId, errorText, field, h, say, showFieldErrors } from '../dom';
import { checkRule } from '../form-validation';

/** "mail from @example.org in Newsletters of work → stay silent" */
export function describeRule(r: Rule, accountName: (id: string) => string): string {
  const what = r.collection ?? 'anything';
  const parts = [what];
  if (r.from) parts.push(`from "${r.from}"`);
  if (r.folder) parts.push(`in ${r.folder}`);
  if (r.accountId) parts.push(`of ${accountName(r.accountId)}`);
  return `${parts.join(' ')} → ${r.action === 'mute' ? 'stay silent' : 'notify'}`;
}

/** The rules page: an ordered list (first match wins) and a form to add one. */
export function setupRulesPage(): { reload: (accounts: AccountSummary[]) => Promise<void> } {
  const list = byId<HTMLOListElement>('rule-list');
  const form = byId<HTMLFormElement>('add-rule');
  const notice = byId('rules-notice');
  let rules: Rules = [];
  let accounts: AccountSummary[] = [];
  const nameOf = (id: string) => accounts.find((a) => a.id === id)?.name ?? id;

  const save = async (next: Rules, button: HTMLButtonElement, done: string) => {
    const r = await busy(button, () => window.tidings.setRules(next));
    if (!r.ok) return say(notice, 'error', errorText(r.error));
    rules = r.value;
    render();
    say(notice, 'ok', done);
  };

  const render = () => {
    list.replaceChildren(
      ...rules.map((rule, i) => {
        const remove = h('button', { type: 'button', class: 'danger' }, 'Remove');
        remove.addEventListener(
          'click',
          () =>
            void save(
              rules.filter((_, j) => j !== i),
              remove,
              'Rule removed.',
            ),
        );
        return h(
          'li',
          { class: 'card' },
          h('div', { class: 'title' }, describeRule(rule, nameOf)),
          h('div', { class: 'buttons' }, remove),
        );
      }),
    );
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const checked = checkRule({
      accountId: field(form, 'accountId'),
      collection: field(form, 'collection'),
      folder: field(form, 'folder'),
      from: field(form, 'from'),
      action: field(form, 'action'),
    });
    showFieldErrors(form, checked.ok ? {} : checked.errors);
    if (!checked.ok) return;
    await save(
      [...rules, checked.value],
      form.querySelector<HTMLButtonElement>('button[type="submit"]')!,
      'Rule added.',
    );
    form.reset();
  });

  return {
    async reload(next) {
      accounts = next;
      const select = form.elements.namedItem('accountId') as HTMLSelectElement;
      select.replaceChildren(
        h('option', { value: '' }, 'any account'),
        ...accounts.map((a) => h('option', { value: a.id }, a.name)),
      );
      const r = await window.tidings.getRules();
      if (!r.ok) return say(notice, 'error', errorText(r.error));
      rules = r.value;
      render();
    },
  };
}
