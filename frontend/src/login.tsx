import { useState } from 'preact/hooks';
import { login } from './api';
import { t } from './i18n';
import { ErrorBox, Field } from './components';
import { navigate } from './router';

export function LoginPage() {
  const [username, setU] = useState('');
  const [password, setP] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const r = await login(username.trim(), password);
      navigate(r.role === 'official' || r.role === 'viewer' ? '/official' : '/merchant');
    } catch (e2) {
      setErr(e2);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="page page-phone">
      <h1>{t('login.title')}</h1>
      <p class="lead">{t('login.lead')}</p>
      <form class="card" onSubmit={submit}>
        <Field id="username" label={t('login.username')}>
          <input id="username" name="username" type="text" autoComplete="username" required value={username} onInput={(e) => setU(e.currentTarget.value)} />
        </Field>
        <Field id="password" label={t('login.password')}>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setP(e.currentTarget.value)}
          />
        </Field>
        <ErrorBox error={err} />
        <button type="submit" class="btn btn-primary btn-big" disabled={busy}>
          {t('login.submit')}
        </button>
      </form>
      <p>
        <a href="#/">{t('login.visitor_link')}</a>
      </p>
    </main>
  );
}
