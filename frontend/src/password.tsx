// Choosing a new password: any staff login from its menu, and the forced screen after a reset.
import { useState } from 'preact/hooks';
import { changePassword } from './api';
import { t } from './i18n';
import { ErrorBox, Field, Notice } from './components';
import { useAppState } from './store';
import { navigate } from './router';

const MIN_LEN = 10;

export function ChangePasswordPage({ forced = false }: { forced?: boolean }) {
  const st = useAppState();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const [hint, setHint] = useState('');
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const home = st.staff?.role === 'merchant' ? '/merchant' : '/official';
  const submit = async (e: Event) => {
    e.preventDefault();
    setErr(null);
    setHint('');
    if (next.length < MIN_LEN) return setHint(t('password.too_short', { n: MIN_LEN }));
    if (next !== again) return setHint(t('password.mismatch'));
    setBusy(true);
    try {
      await changePassword(current, next);
      setDone(true);
      setCurrent('');
      setNext('');
      setAgain('');
      if (forced) navigate(home);
    } catch (e2) {
      setErr(e2);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="page page-phone">
      <h1>{t(forced ? 'password.forced_title' : 'password.title')}</h1>
      <p class="lead">{t(forced ? 'password.forced_lead' : 'password.lead', { n: MIN_LEN })}</p>
      {done && <Notice kind="ok">{t('password.done')}</Notice>}
      <form class="card" onSubmit={submit}>
        <Field id="pw-current" label={t(forced ? 'password.temporary' : 'password.current')}>
          <input id="pw-current" type="password" autoComplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
        </Field>
        <Field id="pw-new" label={t('password.new')}>
          <input id="pw-new" type="password" autoComplete="new-password" required value={next} onInput={(e) => setNext(e.currentTarget.value)} />
        </Field>
        <Field id="pw-again" label={t('password.confirm')}>
          <input id="pw-again" type="password" autoComplete="new-password" required value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
        </Field>
        {hint && (
          <div class="alert alert-error" role="alert">
            {hint}
          </div>
        )}
        <ErrorBox error={err} />
        <button type="submit" class="btn btn-primary btn-big" disabled={busy}>
          {t('password.submit')}
        </button>
      </form>
    </main>
  );
}
