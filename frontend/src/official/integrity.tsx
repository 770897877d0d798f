// Official: the ledger's chain check and a campaign's reconciliation; bank accounts and
// payout batches (transfer file, confirmation of the transfer).
import { useState } from 'preact/hooks';
import { api, downloadFile, type Campaign, type I18nName, type Settlement } from '../api';
import { t, tn, pick, fmtDateTime, fmtMoney, fmtNumber } from '../i18n';
import { CsvButtons, ErrorBox, Field, Loading, Notice, StatusBadge, useLoad } from '../components';
import { useAppState } from '../store';

interface Verification {
  rows: number;
  ok: boolean;
  first_bad_row?: number;
  problem?: string;
  detail?: string;
}
interface Counts {
  issued: number;
  redeemed: number;
  expired: number;
  void: number;
  outstanding: number;
}
interface Ecash {
  committed: number;
  redeemed: number;
  settled: number;
  paid: number;
  outstanding: number;
}
interface RowDiff {
  entity: string;
  id: string;
  field: string;
  ledger: unknown;
  tables: unknown;
  ledger_rows: number[];
}
interface Difference {
  scope: string;
  figure: string;
  offer_id?: string;
  ledger: unknown;
  tables: unknown;
  rows: RowDiff[];
}
interface Reconciliation {
  balanced: boolean;
  ledger_rows: number;
  offers: (Counts & { offer_id: string; name: I18nName; kind: string; balanced: boolean; ledger: Counts; tables: Counts })[];
  ecash: Ecash & { balanced: boolean; unsettled: number; unpaid: number; ledger: Ecash; tables: Ecash };
  differences: Difference[];
}

const OFFER_FIGURES: (keyof Counts)[] = ['issued', 'redeemed', 'expired', 'void', 'outstanding'];
const ECASH_FIGURES: (keyof Ecash)[] = ['committed', 'redeemed', 'settled', 'paid', 'outstanding'];

const show = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function LedgerPage() {
  useAppState();
  const [campaigns] = useLoad(() => api<Campaign[]>('/campaigns', { auth: 'staff' }), []);
  const [campaign, setCampaign] = useState('');
  const [check, setCheck] = useState<Verification | null>(null);
  const [checking, setChecking] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [rec, recErr, reload, loading] = useLoad(
    () => (campaign ? api<Reconciliation>(`/campaigns/${campaign}/reconciliation`, { auth: 'staff' }) : Promise.resolve(undefined)),
    [campaign],
  );
  const verify = async () => {
    setChecking(true);
    try {
      setCheck(await api<Verification>('/ledger/verify', { auth: 'staff' }));
      setErr(null);
    } catch (e) {
      setErr(e);
    } finally {
      setChecking(false);
    }
  };
  const slug = (campaigns || []).find((c) => c.id === campaign)?.slug || campaign;
  return (
    <main id="main" class="page page-wide">
      <h1>{t('ledger.title')}</h1>
      <section class="card">
        <h2>{t('ledger.chain')}</h2>
        <p class="hint">{t('ledger.chain_hint')}</p>
        <button type="button" class="btn btn-primary" onClick={verify} disabled={checking}>
          {t('ledger.verify')}
        </button>
        {check && check.ok && <Notice kind="ok">{t('ledger.chain_ok', { rows: fmtNumber(check.rows) })}</Notice>}
        {check && !check.ok && (
          <p class="bad" role="alert">
            {t('ledger.chain_broken', { row: String(check.first_bad_row ?? '') })} {check.detail}
          </p>
        )}
      </section>
      <form class="card filters row" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="rc-campaign">{t('history.campaign')}</label>
          <select id="rc-campaign" value={campaign} onChange={(e) => setCampaign(e.currentTarget.value)}>
            <option value="">{t('ledger.choose_campaign')}</option>
            {(campaigns || []).map((c) => (
              <option key={c.id} value={c.id}>
                {pick(c.name)}
              </option>
            ))}
          </select>
        </div>
        {campaign && (
          <>
            <button type="button" class="btn" onClick={reload}>
              {t('ledger.recompute')}
            </button>
            <CsvButtons path={`/campaigns/${campaign}/reconciliation.csv`} filename={`reconciliation-${slug}.csv`} onError={setErr} />
          </>
        )}
      </form>
      <ErrorBox error={err || recErr} />
      {campaign && loading && <Loading />}
      {rec && (
        <>
          {rec.balanced ? (
            <Notice kind="ok">{t('ledger.balanced', { rows: fmtNumber(rec.ledger_rows) })}</Notice>
          ) : (
            <p class="bad" role="alert">
              {tn('ledger.differences', rec.differences.length)}
            </p>
          )}
          <h2>{t('ledger.per_offer')}</h2>
          <div class="table-wrap" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('ledger.offer')}</th>
                  {OFFER_FIGURES.map((f) => (
                    <th scope="col" class="num" key={f}>
                      {t(`ledger.f_${f}`)}
                    </th>
                  ))}
                  <th scope="col">{t('ledger.balanced_col')}</th>
                </tr>
              </thead>
              <tbody>
                {rec.offers.map((o) => (
                  <tr key={o.offer_id}>
                    <td>{pick(o.name)}</td>
                    {OFFER_FIGURES.map((f) => (
                      <td class={`num${o.ledger[f] !== o.tables[f] ? ' bad' : ''}`} key={f}>
                        {fmtNumber(o.ledger[f])}
                        {o.ledger[f] !== o.tables[f] && <div class="bad">{t('ledger.tables_say', { value: fmtNumber(o.tables[f]) })}</div>}
                      </td>
                    ))}
                    <td class={o.balanced ? '' : 'bad'}>{o.balanced ? '✓' : '✗'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>{t('ledger.ecash')}</h2>
          <div class="table-wrap" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('ledger.figure')}</th>
                  <th scope="col" class="num">{t('ledger.from_ledger')}</th>
                  <th scope="col" class="num">{t('ledger.from_tables')}</th>
                </tr>
              </thead>
              <tbody>
                {ECASH_FIGURES.map((f) => {
                  const diff = rec.ecash.ledger[f] !== rec.ecash.tables[f];
                  return (
                    <tr key={f} class={diff ? 'bad' : ''}>
                      <th scope="row">{t(`ledger.e_${f}`)}</th>
                      <td class="num">{fmtMoney(rec.ecash.ledger[f])}</td>
                      <td class={`num${diff ? ' bad' : ''}`}>{fmtMoney(rec.ecash.tables[f])}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {rec.differences.length > 0 && (
            <>
              <h2 class="bad">{t('ledger.differences_title')}</h2>
              {rec.differences.map((d, i) => (
                <section class="card diff" key={i}>
                  <h3 class="bad">
                    {d.scope === 'rows'
                      ? t('ledger.scope_rows')
                      : d.scope === 'ecash'
                        ? `${t('ledger.scope_ecash')} · ${t(`ledger.e_${d.figure}`)}: ${t('ledger.from_ledger')} ${fmtMoney(Number(d.ledger))} ≠ ${t('ledger.from_tables')} ${fmtMoney(Number(d.tables))}`
                        : `${t('ledger.scope_offer')} · ${pick(rec.offers.find((o) => o.offer_id === d.offer_id)?.name)} · ${d.figure === 'issued_counter' ? t('ledger.issued_counter') : t(`ledger.f_${d.figure}`)}: ${t('ledger.from_ledger')} ${show(d.ledger)} ≠ ${t('ledger.from_tables')} ${show(d.tables)}`}
                  </h3>
                  <div class="table-wrap" tabIndex={0}>
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">{t('ledger.entity')}</th>
                          <th scope="col">ID</th>
                          <th scope="col">{t('ledger.field')}</th>
                          <th scope="col">{t('ledger.from_ledger')}</th>
                          <th scope="col">{t('ledger.from_tables')}</th>
                          <th scope="col">{t('ledger.ledger_rows')}</th>
                        </tr>
                      </thead>
                      <tbody>
                        {d.rows.map((r) => (
                          <tr key={`${r.entity}${r.id}${r.field}`} class="bad">
                            <td>{t(`ledger.entity_${r.entity}`)}</td>
                            <td>
                              <code>{r.id}</code>
                            </td>
                            <td>{r.field}</td>
                            <td>{show(r.ledger)}</td>
                            <td>{show(r.tables)}</td>
                            <td>{r.ledger_rows.join(', ')}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </section>
              ))}
            </>
          )}
        </>
      )}
    </main>
  );
}

interface Account {
  merchant_id: string;
  account_name: string;
  bank: string;
  account_number: string;
  verified: boolean;
  verified_at?: string | null;
  updated_at: string;
}
interface Payout {
  id: string;
  status: string;
  total_avos: number;
  statements_count: number;
  created_at: string;
  confirmed_at?: string | null;
  bank_reference?: string | null;
}

export function PayoutsPage() {
  useAppState();
  const [accounts, accErr, reloadAccounts] = useLoad(
    () => api<{ merchant_id: string; merchant_name: I18nName; account: Account | null }[]>('/bank-accounts', { auth: 'staff' }),
    [],
  );
  const [statements, stErr, reloadStatements] = useLoad(() => api<Settlement[]>('/settlements', { auth: 'staff' }), []);
  const [batches, bErr, reloadBatches, loading] = useLoad(() => api<Payout[]>('/payouts', { auth: 'staff' }), []);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [refs, setRefs] = useState<Record<string, string>>({});
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState('');
  const verified = new Set((accounts || []).filter((a) => a.account?.verified).map((a) => a.merchant_id));
  const approved = (statements || []).filter((s) => s.status === 'approved');
  const run = async (f: () => Promise<void>) => {
    try {
      await f();
      setErr(null);
    } catch (e) {
      setErr(e);
      setMsg('');
    }
  };
  const verify = (mid: string) =>
    run(async () => {
      await api(`/merchants/${mid}/bank-account/verify`, { method: 'POST', auth: 'staff' });
      setMsg(t('payout.verified'));
      reloadAccounts();
    });
  const create = () =>
    run(async () => {
      const b = await api<Payout>('/payouts', { method: 'POST', auth: 'staff', body: { statement_ids: [...chosen] } });
      setMsg(t('payout.created', { total: fmtMoney(b.total_avos), n: b.statements_count }));
      setChosen(new Set());
      reloadBatches();
      reloadStatements();
    });
  const confirm = (p: Payout) =>
    run(async () => {
      if (!window.confirm(t('payout.confirm_question', { total: fmtMoney(p.total_avos) }))) return;
      await api(`/payouts/${p.id}/confirm`, { method: 'POST', auth: 'staff', body: { bank_reference: refs[p.id] || null } });
      setMsg(t('payout.confirmed'));
      reloadBatches();
      reloadStatements();
    });
  const chosenTotal = approved.filter((s) => chosen.has(s.id)).reduce((a, s) => a + s.amount_avos, 0);
  return (
    <main id="main" class="page page-wide">
      <h1>{t('payout.title')}</h1>
      {msg && <Notice kind="ok">{msg}</Notice>}
      <ErrorBox error={err || accErr || stErr || bErr} />
      {loading && <Loading />}
      <h2>{t('payout.approved_statements')}</h2>
      <div class="table-wrap" tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('payout.include')}</th>
              <th scope="col">{t('enrol.merchant')}</th>
              <th scope="col" class="num">{t('settlement.amount')}</th>
              <th scope="col">{t('payout.bank_account')}</th>
            </tr>
          </thead>
          <tbody>
            {approved.map((s) => {
              const ok = verified.has(s.merchant_id);
              return (
                <tr key={s.id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={t('payout.include_statement', { name: pick(s.merchant_name) || s.merchant_id })}
                      checked={chosen.has(s.id)}
                      disabled={!ok}
                      onChange={(e) => {
                        const n = new Set(chosen);
                        if (e.currentTarget.checked) n.add(s.id);
                        else n.delete(s.id);
                        setChosen(n);
                      }}
                    />
                  </td>
                  <td>{pick(s.merchant_name) || s.merchant_id}</td>
                  <td class="num">{fmtMoney(s.amount_avos)}</td>
                  <td class={ok ? '' : 'bad'}>{ok ? t('payout.account_verified') : t('payout.account_missing')}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {statements && approved.length === 0 && <p>{t('payout.none_approved')}</p>}
      </div>
      <p>
        <button type="button" class="btn btn-primary" disabled={chosen.size === 0} onClick={create}>
          {t('payout.create', { n: chosen.size, total: fmtMoney(chosenTotal) })}
        </button>
      </p>
      <h2>{t('payout.batches')}</h2>
      <p class="hint">{t('payout.four_eyes_hint')}</p>
      <div class="table-wrap" tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('payout.created_at')}</th>
              <th scope="col" class="num">{t('payout.statements')}</th>
              <th scope="col" class="num">{t('settlement.total')}</th>
              <th scope="col">{t('history.status')}</th>
              <th scope="col">{t('common.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(batches || []).map((p) => (
              <tr key={p.id}>
                <td>{fmtDateTime(p.created_at)}</td>
                <td class="num">{fmtNumber(p.statements_count)}</td>
                <td class="num">{fmtMoney(p.total_avos)}</td>
                <td>
                  <StatusBadge status={p.status} />
                  {p.confirmed_at && <div class="muted">{fmtDateTime(p.confirmed_at)}{p.bank_reference ? ` · ${p.bank_reference}` : ''}</div>}
                </td>
                <td class="actions">
                  <button type="button" class="btn btn-small" onClick={() => downloadFile(`/payouts/${p.id}.csv`, `payout-${p.id}.csv`).catch(setErr)}>
                    {t('payout.download_file')}
                  </button>
                  {p.status === 'open' && (
                    <>
                      <input
                        class="input-small"
                        type="text"
                        aria-label={t('payout.bank_reference')}
                        placeholder={t('payout.bank_reference')}
                        value={refs[p.id] || ''}
                        onInput={(e) => setRefs({ ...refs, [p.id]: e.currentTarget.value })}
                      />
                      <button type="button" class="btn btn-small btn-primary" onClick={() => confirm(p)}>
                        {t('payout.confirm')}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {batches && batches.length === 0 && <p>{t('common.none')}</p>}
      </div>
      <h2>{t('payout.accounts')}</h2>
      <div class="table-wrap" tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('enrol.merchant')}</th>
              <th scope="col">{t('bank.account_name')}</th>
              <th scope="col">{t('bank.bank')}</th>
              <th scope="col">{t('bank.account_number')}</th>
              <th scope="col">{t('history.status')}</th>
              <th scope="col">{t('common.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(accounts || []).filter((a) => a.account).map((a) => (
              <tr key={a.merchant_id}>
                <td>{pick(a.merchant_name)}</td>
                <td>{a.account?.account_name || '—'}</td>
                <td>{a.account?.bank || '—'}</td>
                <td>
                  <code>{a.account?.account_number || '—'}</code>
                </td>
                <td class={a.account && !a.account.verified ? 'bad' : ''}>
                  {!a.account ? t('payout.account_none') : a.account.verified ? t('payout.account_verified') : t('payout.account_unverified')}
                </td>
                <td class="actions">
                  {a.account && !a.account.verified && (
                    <button type="button" class="btn btn-small btn-primary" onClick={() => verify(a.merchant_id)}>
                      {t('payout.verify')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {accounts && <p class="hint">{tn('payout.without_account', accounts.filter((a) => !a.account).length)}</p>}
      </div>
    </main>
  );
}

/** The merchant owner's bank details: where the bureau pays its statements. */
export function BankAccountPage() {
  useAppState();
  const [acc, err, reload, loading] = useLoad(() => api<Account | null>('/merchant/bank-account', { auth: 'staff' }), []);
  const [f, setF] = useState<{ account_name: string; bank: string; account_number: string } | null>(null);
  const [saveErr, setSaveErr] = useState<unknown>(null);
  const [msg, setMsg] = useState('');
  const form = f ?? { account_name: acc?.account_name || '', bank: acc?.bank || '', account_number: acc?.account_number || '' };
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      await api('/merchant/bank-account', { method: 'PUT', auth: 'staff', body: form });
      setMsg(t('bank.saved'));
      setSaveErr(null);
      setF(null);
      reload();
    } catch (e2) {
      setSaveErr(e2);
      setMsg('');
    }
  };
  return (
    <main id="main" class="page page-phone">
      <h1>{t('bank.title')}</h1>
      <p class="hint">{t('bank.hint')}</p>
      {loading && <Loading />}
      <ErrorBox error={err || saveErr} />
      {msg && <Notice kind="ok">{msg}</Notice>}
      {acc && (acc.verified ? <Notice kind="ok">{t('bank.verified', { when: fmtDateTime(acc.verified_at) })}</Notice> : <Notice kind="warn">{t('bank.unverified')}</Notice>)}
      <form class="card" onSubmit={save}>
        <Field id="bk-name" label={t('bank.account_name')}>
          <input id="bk-name" type="text" required maxLength={140} value={form.account_name} onInput={(e) => setF({ ...form, account_name: e.currentTarget.value })} />
        </Field>
        <Field id="bk-bank" label={t('bank.bank')}>
          <input id="bk-bank" type="text" required maxLength={100} value={form.bank} onInput={(e) => setF({ ...form, bank: e.currentTarget.value })} />
        </Field>
        <Field id="bk-number" label={t('bank.account_number')} hint={t('bank.number_hint')}>
          <input
            id="bk-number"
            type="text"
            required
            inputMode="numeric"
            autoComplete="off"
            aria-describedby="bk-number-hint"
            value={form.account_number}
            onInput={(e) => setF({ ...form, account_number: e.currentTarget.value })}
          />
        </Field>
        <button type="submit" class="btn btn-primary">
          {t('bank.save')}
        </button>
      </form>
    </main>
  );
}
