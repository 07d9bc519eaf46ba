import { defaultClientId } from '../../../../daemon/src/cli/oauth-client';
import { builtInGoogleClientId } from '../../../../daemon/src/oauth/google-client';
import type { AccountSummary, TestResult } from '../../../../daemon/src/ipc/protocol';
import { acceptMoveLabel, accountWords, kindLabel, needsAttention, pendingMove } from '../../main/tray-model';
import { busy, byId, errorText, field, h, say, showFieldErrors } from '../dom';
import { type AccountFormValues, checkAccountForm } from '../form-validation';

function formValues(form: HTMLFormElement): AccountFormValues {
  const checked = (name: string) =>
    form.querySelector<HTMLInputElement>(`input[name="${name}"]:checked`)?.value ?? 'basic';
  return {
    kind: field(form, 'kind'),
    id: field(form, 'id'),
    name: field(form, 'name'),
    email: field(form, 'email'),
    url: field(form, 'url'),
    username: field(form, 'username'),
    password: field(form, 'password'),
    authType: checked('authType'),
    jmapAuth: checked('jmapAuth'),
    host: field(form, 'host'),
    port: field(form, 'port'),
    security: field(form, 'security'),
    mailboxes: field(form, 'mailboxes'),
    clientId: field(form, 'clientId'),
    tenant: field(form, 'tenant'),
    googleClientId: field(form, 'googleClientId'),
    googleClientSecret: field(form, 'googleClientSecret'),
    webUrl: field(form, 'webUrl'),
  };
}

/** Shows the fields that belong to the chosen kind and sign-in method. */
function syncVisibility(form: HTMLFormElement): void {
  const { kind, jmapAuth } = formValues(form);
  let { authType } = formValues(form);
  for (const el of form.querySelectorAll<HTMLElement>('[data-kinds]')) {
    el.hidden = !(el.dataset.kinds ?? '').split(' ').includes(kind);
  }
  // "Sign in with Google" is IMAP's (Gmail); another kind falls back to the password.
  if (authType === 'google' && kind !== 'imap') {
    form.querySelector<HTMLInputElement>('input[name="authType"][value="basic"]')!.checked = true;
    authType = 'basic';
  }
  const auth = kind === 'exchange' || kind === 'imap' ? authType : 'basic';
  for (const el of form.querySelectorAll<HTMLElement>('[data-auth]')) el.hidden = el.dataset.auth !== auth;
  // A JMAP API token takes the password's place (and its trip to the keyring).
  const secret = kind === 'jmap' && jmapAuth === 'bearer' ? 'token' : 'password';
  for (const el of form.querySelectorAll<HTMLElement>('[data-secret]'))
    el.hidden = el.dataset.secret !== secret;
}

const LOOKS_LIKE_ADDRESS = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * Fills an IMAP account's server, port and security from its e-mail address, found by main
 * (RFC 6186 SRV records, then imap./mail. host names, each checked for a greeting). False, with
 * the reason under the server field, when nothing answered: the person types it then.
 */
async function findImapServer(form: HTMLFormElement, notice: HTMLElement, button: HTMLButtonElement) {
  const email = field(form, 'email').trim();
  if (!LOOKS_LIKE_ADDRESS.test(email)) {
    showFieldErrors(form, { email: 'enter the e-mail address to find its server from' });
    return false;
  }
  say(notice, 'info', `Looking for the IMAP server of ${email}…`);
  const r = await busy(button, () => window.tidings.discoverImap(email));
  if (!r.ok) {
    showFieldErrors(form, {
      [r.error.field ?? 'host']:
        r.error.code === 'TRAY_ERR_DISCOVERY'
          ? 'no IMAP server answered for this address; enter the server here'
          : r.error.message,
    });
    say(notice, 'error', errorText(r.error));
    return false;
  }
  const found = r.value;
  const host = form.querySelector<HTMLInputElement>('input[name="host"]')!;
  const port = form.querySelector<HTMLInputElement>('input[name="port"]')!;
  const security = form.querySelector<HTMLSelectElement>('select[name="security"]')!;
  host.value = found.host;
  // The usual port stays implicit, as `tidings account add imap` writes it.
  port.value = found.port === (found.security === 'tls' ? 993 : 143) ? '' : String(found.port);
  security.value = found.security;
  showFieldErrors(form, {});
  say(
    notice,
    'ok',
    `Found ${found.host}:${found.port} (${found.security === 'tls' ? 'TLS' : 'STARTTLS'}) by ${found.via}.`,
  );
  return true;
}

/** An IMAP account with no server yet but an address: find the server first. */
async function discoverIfNeeded(form: HTMLFormElement, notice: HTMLElement, button: HTMLButtonElement) {
  const v = formValues(form);
  if (v.kind !== 'imap' || v.host.trim() !== '' || !LOOKS_LIKE_ADDRESS.test(v.email.trim())) return true;
  return findImapServer(form, notice, button);
}

function renderSteps(list: HTMLElement, result: TestResult): void {
  list.replaceChildren(
    ...result.steps.map((s) =>
      h(
        'li',
        { class: s.ok ? 'ok' : 'failed' },
        `${s.name}: ${s.note}`,
        s.fix ? h('div', { class: 'muted' }, `What to do: ${s.fix}`) : undefined,
      ),
    ),
  );
  list.hidden = false;
}

/** The inline "re-enter password" (or, for a JMAP API token, "replace token") form under a card. */
function passwordForm(
  account: AccountSummary,
  notice: HTMLElement,
  reload: () => Promise<void>,
): HTMLFormElement {
  const what = account.auth === 'token' ? 'API token' : 'password';
  const input = h('input', {
    type: 'password',
    name: 'secret',
    autocomplete: account.auth === 'token' ? 'off' : 'current-password',
    'aria-label': `New ${what} for ${account.name}`,
  });
  const error = h('p', { class: 'error', 'data-error-for': 'secret', hidden: true });
  const save = h('button', { type: 'submit', class: 'primary' }, `Save ${what}`);
  const form = h(
    'form',
    { class: 'password-form', novalidate: true },
    input,
    error,
    h('div', { class: 'actions' }, save),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (input.value === '') {
      showFieldErrors(form, { secret: `enter the new ${what}` });
      return;
    }
    showFieldErrors(form, {});
    const r = await busy(save, () => window.tidings.setSecret(account.id, input.value));
    input.value = '';
    if (!r.ok) return say(notice, 'error', errorText(r.error));
    say(
      notice,
      'ok',
      `${what === 'password' ? 'Password' : 'API token'} for ${account.name} saved. Tidings reconnects now.`,
    );
    await reload();
  });
  return form;
}

function accountCard(account: AccountSummary, notice: HTMLElement, reload: () => Promise<void>): HTMLElement {
  const words = accountWords(account, new Date());
  const steps = h('ol', {
    class: 'steps',
    hidden: true,
    'aria-label': `Connection test for ${account.name}`,
  });
  const test = h('button', { type: 'button' }, 'Test connection');
  // A JMAP API token is replaced, not re-entered as a password (it said "Re-enter password").
  const password = h(
    'button',
    { type: 'button' },
    account.auth === 'token' ? 'Replace API token' : 'Re-enter password',
  );
  const oauth = h(
    'button',
    { type: 'button' },
    account.oauthProvider === 'google'
      ? 'Sign in with Google'
      : account.oauthProvider === 'microsoft'
        ? 'Sign in with Microsoft'
        : // A JMAP account's own authority, or a daemon too old to say.
          'Sign in in the browser',
  );
  const remove = h('button', { type: 'button', class: 'danger' }, 'Remove');
  // Issue 13 §2: the daemon sends no password to another origin (or over http) until a person
  // accepts; the button names the target, and the line above it says where it came from.
  const move = pendingMove(account);
  const moveLabel = acceptMoveLabel(account);
  const accept = moveLabel
    ? h('button', { type: 'button', class: 'primary accept-move' }, moveLabel)
    : undefined;
  const card = h(
    'li',
    { class: 'card', 'data-account': account.id },
    h(
      'div',
      { class: 'title' },
      h('strong', {}, account.name),
      h('span', { class: 'badge' }, kindLabel(account.kind)),
      h('span', { class: needsAttention(account) ? 'state attention' : 'state' }, words),
    ),
    account.status.lastError ? h('div', { class: 'muted' }, account.status.lastError.message) : undefined,
    move
      ? h(
          'p',
          { class: move.downgrade ? 'move error' : 'move' },
          `The server moved this account from ${move.from} to ${move.to}. Tidings sends your password there only if you accept.`,
          move.downgrade
            ? ' The new address is not encrypted (http): your password would travel in clear text.'
            : '',
        )
      : undefined,
    accept ? h('div', { class: 'buttons' }, accept) : undefined,
    // OAuth2 accounts sign in through the browser; the others have a password to re-enter.
    h('div', { class: 'buttons' }, test, account.auth === 'oauth2' ? oauth : password, remove),
    steps,
  );
  test.addEventListener('click', async () => {
    const r = await busy(test, () => window.tidings.testConnection({ id: account.id }));
    if (!r.ok) return say(notice, 'error', errorText(r.error));
    renderSteps(steps, r.value);
    say(
      notice,
      r.value.ok ? 'ok' : 'error',
      r.value.ok ? `${account.name}: connection works.` : `${account.name}: the test failed; see the steps.`,
    );
  });
  password.addEventListener('click', () => {
    const existing = card.querySelector('form');
    if (existing) return existing.querySelector('input')?.focus();
    const form = passwordForm(account, notice, reload);
    card.append(form);
    form.querySelector('input')?.focus();
  });
  oauth.addEventListener('click', async () => {
    say(notice, 'info', 'Finish signing in in your browser…');
    const r = await busy(oauth, () => window.tidings.startOAuthSignIn(account.id));
    if (!r.ok) return say(notice, 'error', errorText(r.error));
    say(notice, 'ok', `${account.name} is signed in.`);
    await reload();
  });
  accept?.addEventListener('click', async () => {
    const r = await busy(accept, () => window.tidings.acceptMove(account.id));
    if (!r.ok) return say(notice, 'error', errorText(r.error));
    say(notice, 'ok', `${account.name} now uses ${r.value.url}. Tidings reconnects there.`);
    await reload();
  });
  remove.addEventListener('click', async () => {
    // Two steps: the first click arms the button, so a stray click removes nothing.
    if (remove.dataset.armed !== 'true') {
      remove.dataset.armed = 'true';
      remove.textContent = `Really remove ${account.name}?`;
      return;
    }
    const r = await busy(remove, () => window.tidings.removeAccount(account.id));
    if (!r.ok) return say(notice, 'error', errorText(r.error));
    say(notice, 'ok', `${account.name} removed.`);
    await reload();
  });
  return card;
}

/** The accounts page: the list with per-account actions, and the add form. */
export function setupAccountsPage(): {
  reload: () => Promise<void>;
  focusAccount: (id: string) => void;
  focusAdd: () => void;
} {
  const list = byId<HTMLUListElement>('account-list');
  const empty = byId('accounts-empty');
  const notice = byId('accounts-notice');
  const form = byId<HTMLFormElement>('add-account');
  const addNotice = byId('add-notice');
  const steps = byId('test-steps');

  const reload = async () => {
    const r = await window.tidings.listAccounts();
    if (!r.ok) {
      list.replaceChildren();
      return say(notice, 'error', errorText(r.error));
    }
    list.replaceChildren(...r.value.map((a) => accountCard(a, notice, reload)));
    empty.hidden = r.value.length > 0;
  };

  // A build with a registered Microsoft 365 app (docs/microsoft-365.md) fills its id in.
  const builtInClientId = defaultClientId({});
  if (builtInClientId) {
    const input = form.querySelector<HTMLInputElement>('input[name="clientId"]')!;
    input.value = builtInClientId;
    input.defaultValue = builtInClientId;
  }
  // A build with a Google desktop client (docs/gmail.md) fills its id in; the secret stays in main.
  const googleId = builtInGoogleClientId();
  if (googleId) {
    const input = form.querySelector<HTMLInputElement>('input[name="googleClientId"]')!;
    input.value = googleId;
    input.defaultValue = googleId;
  }
  form.addEventListener('change', () => syncVisibility(form));
  syncVisibility(form);

  const find = byId<HTMLButtonElement>('find-imap');
  find.addEventListener('click', () => findImapServer(form, addNotice, find));

  byId<HTMLButtonElement>('test-new').addEventListener('click', async (ev) => {
    if (!(await discoverIfNeeded(form, addNotice, ev.currentTarget as HTMLButtonElement))) return;
    const checked = checkAccountForm(formValues(form));
    showFieldErrors(form, checked.ok ? {} : checked.errors);
    if (!checked.ok) return;
    say(addNotice, 'info', 'Testing… the daemon is talking to the server.');
    const r = await busy(ev.currentTarget as HTMLButtonElement, () =>
      window.tidings.testConnection(checked.value),
    );
    if (!r.ok) return say(addNotice, 'error', errorText(r.error));
    renderSteps(steps, r.value);
    say(
      addNotice,
      r.value.ok ? 'ok' : 'error',
      r.value.ok ? 'Connection works.' : 'The test failed; see the steps above.',
    );
  });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    if (!(await discoverIfNeeded(form, addNotice, submit))) return;
    const checked = checkAccountForm(formValues(form));
    showFieldErrors(form, checked.ok ? {} : checked.errors);
    if (!checked.ok) return;
    const r = await busy(submit, () => window.tidings.addAccount(checked.value));
    if (!r.ok) {
      if (r.error.field)
        showFieldErrors(form, { [r.error.field.replace(/^account\./, '')]: r.error.message });
      return say(addNotice, 'error', errorText(r.error));
    }
    form.reset();
    syncVisibility(form);
    steps.hidden = true;
    const added = checked.value.account;
    const oauthHint =
      added.kind === 'imap' && added.oauth2?.provider === 'google'
        ? ' Now choose "Sign in with Google" on its card.'
        : (added.kind === 'exchange' && added.auth.type === 'oauth2') ||
            (added.kind === 'imap' && added.oauth2 !== undefined)
          ? ' Now choose "Sign in with Microsoft" on its card.'
          : '';
    say(addNotice, 'ok', `${r.value.name} added.${oauthHint}`);
    await reload();
  });

  return {
    reload,
    /** The add form in view, its first field focused: the first start leads here. */
    focusAdd() {
      form.scrollIntoView({ block: 'start' });
      form.querySelector<HTMLElement>('select, input')?.focus();
    },
    focusAccount(id) {
      const card = list.querySelector<HTMLElement>(`[data-account="${CSS.escape(id)}"]`);
      // A waiting move is only focused: accepting it must be the person's own click.
      const accept = card?.querySelector<HTMLButtonElement>('button.accept-move');
      if (accept) {
        accept.scrollIntoView({ block: 'center' });
        accept.focus();
        return;
      }
      card?.querySelector<HTMLButtonElement>('button:nth-child(2)')?.click();
    },
  };
}
