import type { AccountSummary } from '../../../../daemon/src/ipc/protocol';
import { busy, byId, errorText, h, say } from '../dom';

/** The folders page: which folders / collections of an account the daemon watches. */
export function setupFoldersPage(): { reload: (accounts: AccountSummary[]) => Promise<void> } {
  const select = byId<HTMLSelectElement>('folders-account');
  const form = byId<HTMLFormElement>('folders-form');
  const list = byId<HTMLUListElement>('folder-list');
  const notice = byId('folders-notice');

  const load = async () => {
    list.replaceChildren();
    if (!select.value) return;
    const r = await window.tidings.listFolders(select.value);
    if (!r.ok) return say(notice, 'error', errorText(r.error));
    notice.hidden = true;
    list.replaceChildren(
      ...r.value.map((f) =>
        h(
          'li',
          {},
          h(
            'label',
            { class: 'inline' },
            h('input', { type: 'checkbox', name: 'folder', value: f.id, checked: f.watched }),
            f.name,
            h('span', { class: 'badge' }, f.collection),
          ),
        ),
      ),
    );
  };

  select.addEventListener('change', () => void load());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const ids = [...form.querySelectorAll<HTMLInputElement>('input[name="folder"]:checked')].map(
      (i) => i.value,
    );
    if (ids.length === 0)
      return say(notice, 'error', 'Choose at least one folder, or remove the account instead.');
    const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    const r = await busy(submit, () => window.tidings.setWatchedFolders(select.value, ids));
    if (!r.ok) return say(notice, 'error', errorText(r.error));
    say(notice, 'ok', `Watching ${r.value.filter((f) => f.watched).length} folder(s).`);
  });

  return {
    async reload(accounts) {
      const keep = select.value;
      select.replaceChildren(...accounts.map((a) => h('option', { value: a.id }, a.name)));
      if (accounts.some((a) => a.id === keep)) select.value = keep;
      await load();
    },
  };
}
