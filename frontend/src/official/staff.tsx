// Official: staff logins — list, create, disable or enable, reset a forgotten password (the
// temporary one is shown once). A viewer sees the list only.
import { useState } from 'preact/hooks';
import { api, type Merchant, type StaffAccount, type StaffRole } from '../api';
import { t, pick, fmtDateTime } from '../i18n';
import { ErrorBox, Field, Loading, Notice, useLoad } from '../components';
import { canWrite, useAppState } from '../store';

const ROLES: StaffRole[] = ['official', 'viewer', 'merchant_owner', 'merchant_cashier'];

export function StaffPage() {
  const st = useAppState();
  const writer = canWrite();
  const [list, err, reload, loading] = useLoad(() => api<StaffAccount[]>('/staff', { auth: 'staff' }), []);
  const [merchants] = useLoad(() => (writer ? api<Merchant[]>('/merchants', { auth: 'staff' }) : Promise.resolve([] as Merchant[])), [writer]);
  const empty = { username: '', password: '', role: 'official' as StaffRole, merchant_id: '' };
  const [f, setF] = useState(empty);
  const [open, setOpen] = useState(false);
  const [fErr, setFErr] = useState<unknown>(null);
  const [actErr, setActErr] = useState<unknown>(null);
  const [ok, setOk] = useState('');
  const [temp, setTemp] = useState<{ username: string; password: string } | null>(null);
  const merchantRole = f.role === 'merchant_owner' || f.role === 'merchant_cashier';

  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const a = await api<StaffAccount>('/staff', {
        method: 'POST',
        auth: 'staff',
        body: { username: f.username.trim(), password: f.password, role: f.role, merchant_id: merchantRole ? f.merchant_id : undefined },
      });
      setOk(t('accounts.created', { user: a.username, role: t(`accounts.role.${a.role}`) }));
      setTemp(null);
      setF(empty);
      setFErr(null);
      setOpen(false);
      reload();
    } catch (e2) {
      setFErr(e2);
    }
  };
  const act = async (a: StaffAccount, what: 'disable' | 'enable' | 'reset-password') => {
    setActErr(null);
    setOk('');
    try {
      const r = await api<{ temporary_password?: string }>(`/staff/${a.id}/${what}`, { method: 'POST', auth: 'staff' });
      if (what === 'reset-password' && r.temporary_password) setTemp({ username: a.username, password: r.temporary_password });
      else {
        setTemp(null);
        setOk(t(what === 'disable' ? 'accounts.disabled_done' : 'accounts.enabled_done', { user: a.username }));
      }
      reload();
    } catch (e2) {
      setActErr(e2);
    }
  };

  return (
    <main id="main" class="page page-wide">
      <h1>{t('nav.staff_accounts')}</h1>
      <p class="lead">{t('accounts.lead')}</p>
      {writer && (
        <button type="button" class="btn btn-primary" aria-expanded={open} onClick={() => setOpen(!open)}>
          {t('accounts.new')}
        </button>
      )}
      {ok && <Notice kind="ok">{ok}</Notice>}
      {temp && (
        <div class="alert alert-warn" role="status" data-testid="temporary-password">
          <p>{t('accounts.temporary_intro', { user: temp.username })}</p>
          <p>
            <code class="temporary-password">{temp.password}</code>
          </p>
          <p>{t('accounts.temporary_once')}</p>
          <button type="button" class="btn btn-small" onClick={() => setTemp(null)}>
            {t('accounts.temporary_hide')}
          </button>
        </div>
      )}
      {writer && open && (
        <form class="card form-grid" onSubmit={create}>
          <Field id="s-user" label={t('accounts.username')}>
            <input id="s-user" type="text" autoComplete="off" required value={f.username} onInput={(e) => setF({ ...f, username: e.currentTarget.value })} />
          </Field>
          <Field id="s-pass" label={t('accounts.password')} hint={t('accounts.password_hint')}>
            <input id="s-pass" type="password" autoComplete="new-password" required value={f.password} onInput={(e) => setF({ ...f, password: e.currentTarget.value })} />
          </Field>
          <Field id="s-role" label={t('accounts.role')}>
            <select id="s-role" value={f.role} onChange={(e) => setF({ ...f, role: e.currentTarget.value as StaffRole })}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`accounts.role.${r}`)}
                </option>
              ))}
            </select>
          </Field>
          {merchantRole && (
            <Field id="s-merchant" label={t('accounts.merchant')}>
              <select id="s-merchant" required value={f.merchant_id} onChange={(e) => setF({ ...f, merchant_id: e.currentTarget.value })}>
                <option value="">{t('accounts.choose_merchant')}</option>
                {(merchants || []).map((m) => (
                  <option key={m.id} value={m.id}>
                    {pick(m.name)}
                  </option>
                ))}
              </select>
            </Field>
          )}
          <ErrorBox error={fErr} />
          <button type="submit" class="btn btn-primary">
            {t('accounts.create')}
          </button>
        </form>
      )}
      <ErrorBox error={err || actErr} />
      {loading && !list ? (
        <Loading />
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label={t('nav.staff_accounts')}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('accounts.username')}</th>
                <th scope="col">{t('accounts.role')}</th>
                <th scope="col">{t('accounts.merchant')}</th>
                <th scope="col">{t('accounts.status')}</th>
                <th scope="col">{t('accounts.since')}</th>
                {writer && <th scope="col">{t('accounts.actions')}</th>}
              </tr>
            </thead>
            <tbody>
              {(list || []).map((a) => {
                const me = a.id === st.staff?.user_id || a.username.toLowerCase() === st.staff?.username?.toLowerCase();
                return (
                  <tr key={a.id} data-username={a.username}>
                    <th scope="row">
                      {a.username}
                      {me && <span class="badge"> {t('accounts.you')}</span>}
                    </th>
                    <td>{t(`accounts.role.${a.role}`)}</td>
                    <td>{a.merchant_name ? pick(a.merchant_name) : '—'}</td>
                    <td>
                      {a.disabled ? t('accounts.disabled') : t('accounts.active')}
                      {a.must_change_password && <> · {t('accounts.must_change')}</>}
                      {a.locked_until && <> · {t('accounts.locked', { until: fmtDateTime(a.locked_until) })}</>}
                    </td>
                    <td>{fmtDateTime(a.created_at)}</td>
                    {writer && (
                      <td class="row">
                        {!me &&
                          (a.disabled ? (
                            <button type="button" class="btn btn-small" onClick={() => act(a, 'enable')}>
                              {t('accounts.enable')}
                            </button>
                          ) : (
                            <button type="button" class="btn btn-small btn-danger" onClick={() => act(a, 'disable')}>
                              {t('accounts.disable')}
                            </button>
                          ))}
                        <button type="button" class="btn btn-small" onClick={() => act(a, 'reset-password')}>
                          {t('accounts.reset')}
                        </button>
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
