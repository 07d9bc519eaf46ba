import type { AccountSummary } from '../../../../daemon/src/ipc/protocol';
import type { RuleConfig } from '../../../../daemon/src/config/rules';
import { busy, byId, errorText, field, h, say, showFieldErrors } from '../dom';
import { checkRule } from '../form-validation';

/** "mail from boss@example.org in Newsletters of Work mail → notify" */
export function describeRule(r: RuleConfig, accountName: (id: string) => string): string {
  const kinds = r.collection === undefined ? 'anything' : [r.collection].flat().join(' or ');
  const parts = [kinds];
  if (r.senders) parts.push(`from ${r.senders.map((x) => `"${x}"`).join(', ')}`);
  if (r.folder) parts.push(`in ${r.folder}`);
  if (r.account) parts.push(`of ${accountName(r.account)}`);
  return `${parts.join(' ')} → ${r.mute ? 'stay silent' : 'notify'}`;
}

/** The rules page: an ordered list (first match wins) and a form to add one. */
export function setupRulesPage(): { reload: (accounts: AccountSummary[]) => Promise<void> } {
  const list = byId<HTMLOListElement>('rule-list');
  const form = byId<HTMLFormElement>('add-rule');
  const notice = byId('rules-notice');
  let rules: RuleConfig[] = [];
  let accounts: AccountSummary[] = [];
  const nameOf = (id: string) => accounts.find((a) => a.id === id)?.name ?? id;

  const save = async (next: RuleConfig[], button: HTMLButtonElement, done: string) => {
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
