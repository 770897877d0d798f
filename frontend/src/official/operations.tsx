// Official: running a live campaign — budget, edits, pausing offers, retiring points, display
// devices, suspending merchants, importing merchants, bulk decisions and payments, fraud actions.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, apiCsv, type Campaign, type Enrolment, type I18nName, type Merchant, type Offer, type Point, type Schemas, type Settlement, type Signal } from '../api';
import { t, tData, pick, errorText, fmtDateTime, fmtMoney, fmtNumber, localInputToRfc3339, rfc3339ToLocalInput, parseMop } from '../i18n';
import { DateTimeField, ErrorBox, Field, Notice, useLoad } from '../components';
import { canWrite } from '../store';
import { NameFields, cleanName, CATEGORIES } from './common';

/** A campaign's money figures, as the campaign answers carry them. */
export type Budget = NonNullable<Campaign['budget']>;

/** A confirmation shown in the page: what will happen, then Confirm or Cancel. */
export function ConfirmBox({ title, children, onConfirm, onCancel, danger, testId }: { title: string; children?: ComponentChildren; onConfirm: () => void; onCancel: () => void; danger?: boolean; testId?: string }) {
  return (
    <div class="card confirm" role="alertdialog" aria-labelledby="confirm-h" data-testid={testId || 'confirm'}>
      <h3 id="confirm-h">{title}</h3>
      {children}
      <div class="row">
        <button type="button" class={danger ? 'btn btn-danger' : 'btn btn-primary'} onClick={onConfirm} data-testid="confirm-yes">
          {t('ops.confirm')}
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          {t('ops.cancel')}
        </button>
      </div>
    </div>
  );
}

function pct(v: number, cap: number | null | undefined) {
  return cap && cap > 0 ? (v * 100) / cap : null;
}

/** Budget, committed, redeemed and outstanding e-cash, with warnings at 80% and 95%. */
export function BudgetPanel({ c, reload }: { c: Campaign & { budget?: Budget }; reload: () => void }) {
  const b = c.budget;
  const [edit, setEdit] = useState(false);
  const [total, setTotal] = useState(b?.budget_avos != null ? String(b.budget_avos / 100) : '');
  const [daily, setDaily] = useState(b?.daily_budget_avos != null ? String(b.daily_budget_avos / 100) : '');
  const [err, setErr] = useState<unknown>(null);
  if (!b) return null;
  const used = pct(b.committed_avos, b.budget_avos);
  const usedToday = pct(b.committed_today_avos ?? 0, b.daily_budget_avos);
  const level = (p: number | null) => (p === null ? null : p >= 95 ? 'critical' : p >= 80 ? 'warn' : null);
  const worst = level(used) === 'critical' || level(usedToday) === 'critical' ? 'critical' : level(used) || level(usedToday);
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      await api(`/campaigns/${c.id}`, {
        method: 'PATCH',
        auth: 'staff',
        body: { budget_avos: total.trim() ? parseMop(total) : null, daily_budget_avos: daily.trim() ? parseMop(daily) : null },
      });
      setErr(null);
      setEdit(false);
      reload();
    } catch (e2) {
      setErr(e2);
    }
  };
  return (
    <section class="section" aria-labelledby="budget-h" data-testid="budget">
      <h2 id="budget-h">{t('ops.budget')}</h2>
      <div class="kpi-grid">
        <div class="kpi">
          <div class="kpi-value">{b.budget_avos != null ? fmtMoney(b.budget_avos) : t('ops.no_budget')}</div>
          <div class="kpi-label">{t('ops.budget_total')}</div>
        </div>
        <div class="kpi">
          <div class="kpi-value">{fmtMoney(b.committed_avos)}</div>
          <div class="kpi-label">
            {t('ops.committed')}
            {used !== null ? ` · ${used.toFixed(1)}%` : ''}
          </div>
        </div>
        <div class="kpi">
          <div class="kpi-value">{fmtMoney(b.redeemed_avos)}</div>
          <div class="kpi-label">{t('ops.redeemed')}</div>
        </div>
        <div class="kpi">
          <div class="kpi-value">{fmtMoney(b.outstanding_avos)}</div>
          <div class="kpi-label">{t('ops.outstanding')}</div>
        </div>
      </div>
      {b.daily_budget_avos != null && (
        <p class="muted">{t('ops.daily_used', { used: fmtMoney(b.committed_today_avos ?? 0), cap: fmtMoney(b.daily_budget_avos) })}</p>
      )}
      {used !== null && <progress max={100} value={Math.min(100, used)} aria-label={t('ops.committed')} />}
      {worst && (
        <Notice kind="warn">
          <span data-testid={`budget-${worst}`}>{t(worst === 'critical' ? 'ops.budget_95' : 'ops.budget_80')}</span>
        </Notice>
      )}
      {c.status !== 'ended' && canWrite() && (
        <button type="button" class="btn" aria-expanded={edit} onClick={() => setEdit(!edit)}>
          {t('ops.edit_budget')}
        </button>
      )}
      {edit && canWrite() && (
        <form class="card form-grid" onSubmit={save}>
          <Field id="bu-total" label={t('ops.budget_total_mop')} hint={t('ops.budget_hint')}>
            <input id="bu-total" type="text" inputMode="decimal" aria-describedby="bu-total-hint" value={total} onInput={(e) => setTotal(e.currentTarget.value)} />
          </Field>
          <Field id="bu-daily" label={t('ops.budget_daily_mop')}>
            <input id="bu-daily" type="text" inputMode="decimal" value={daily} onInput={(e) => setDaily(e.currentTarget.value)} />
          </Field>
          <ErrorBox error={err} />
          <div class="row">
            <button type="submit" class="btn btn-primary">
              {t('common.save')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

/** A campaign's committed e-cash against its budget, for the dashboard's table. */
export function BudgetCell({ c }: { c: Campaign & { budget?: Budget } }) {
  const b = c.budget;
  if (!b) return <>—</>;
  const used = pct(b.committed_avos, b.budget_avos);
  const level = used === null ? '' : used >= 95 ? 'critical' : used >= 80 ? 'warn' : '';
  return (
    <span class={level ? `budget-${level}` : undefined} data-testid={level ? `budget-${level}` : undefined}>
      {fmtMoney(b.committed_avos)}
      {b.budget_avos != null ? ` / ${fmtMoney(b.budget_avos)} (${(used ?? 0).toFixed(0)}%)` : ''}
      {level && ` ⚠ ${t(level === 'critical' ? 'ops.budget_95' : 'ops.budget_80')}`}
      <div class="muted">
        {t('ops.redeemed')} {fmtMoney(b.redeemed_avos)} · {t('ops.outstanding')} {fmtMoney(b.outstanding_avos)}
      </div>
    </span>
  );
}

/** What may change once a campaign is published: names, description, a later end. */
export function LiveEdit({ c, onSaved }: { c: Campaign; onSaved: () => void }) {
  const [name, setName] = useState<I18nName>(c.name);
  const [desc, setDesc] = useState(c.description || '');
  const [ends, setEnds] = useState(rfc3339ToLocalInput(c.ends_at));
  const [err, setErr] = useState<unknown>(null);
  if (!canWrite()) return null;
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const body: Record<string, unknown> = { name: cleanName(name), description: desc.trim() || null };
      if (ends !== rfc3339ToLocalInput(c.ends_at)) body.ends_at = localInputToRfc3339(ends);
      await api(`/campaigns/${c.id}`, { method: 'PATCH', auth: 'staff', body });
      setErr(null);
      onSaved();
    } catch (e2) {
      setErr(e2);
    }
  };
  return (
    <form class="card form-grid" onSubmit={submit}>
      <NameFields idPrefix="live-name" value={name} onChange={setName} />
      <div class="field wide">
        <label for="live-desc">
          {t('campaign.description')} ({t('common.optional')})
        </label>
        <textarea id="live-desc" rows={3} value={desc} onInput={(e) => setDesc(e.currentTarget.value)} />
      </div>
      <Field id="live-ends" label={t('campaign.ends_at_macau')} hint={t('ops.ends_hint')}>
        <DateTimeField id="live-ends" describedBy="live-ends-hint" value={ends} onChange={setEnds} />
      </Field>
      <ErrorBox error={err} />
      <div class="row">
        <button type="submit" class="btn btn-primary">
          {t('common.save')}
        </button>
      </div>
    </form>
  );
}

/** Pause or resume an offer, change its stock. */
export function OfferOps({ o, reload, ended }: { o: Offer & { paused?: boolean; valid_until?: string }; reload: () => void; ended: boolean }) {
  const [stock, setStock] = useState(String(o.stock));
  const [until, setUntil] = useState(o.valid_until ? rfc3339ToLocalInput(o.valid_until) : '');
  const [open, setOpen] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  if (!canWrite()) return null;
  if (ended) return null;
  const call = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      setErr(null);
      setOpen(false);
      reload();
    } catch (e2) {
      setErr(e2);
    }
  };
  const id = `stock-${o.id}`;
  return (
    <div class="ops">
      {o.paused ? (
        <button type="button" class="btn btn-small btn-primary" onClick={() => call(() => api(`/offers/${o.id}/resume`, { method: 'POST', auth: 'staff' }))}>
          {t('ops.resume')}
        </button>
      ) : (
        <button type="button" class="btn btn-small" onClick={() => call(() => api(`/offers/${o.id}/pause`, { method: 'POST', auth: 'staff' }))}>
          {t('ops.pause')}
        </button>
      )}
      <button type="button" class="btn btn-small" aria-expanded={open} onClick={() => setOpen(!open)}>
        {t('ops.change_stock')}
      </button>
      {open && (
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            const body: Record<string, unknown> = { stock: Number(stock) };
            if (o.valid_until && until && until !== rfc3339ToLocalInput(o.valid_until)) body.valid_until = localInputToRfc3339(until);
            void call(() => api(`/offers/${o.id}`, { method: 'PATCH', auth: 'staff', body }));
          }}
        >
          <label for={id}>{t('offer.stock')}</label>
          <input id={id} type="number" min={o.issued} value={stock} onInput={(e) => setStock(e.currentTarget.value)} />
          {o.valid_until && (
            <>
              <label for={`until-${o.id}`}>{t('ops.valid_until')}</label>
              <DateTimeField id={`until-${o.id}`} value={until} onChange={setUntil} />
            </>
          )}
          <button type="submit" class="btn btn-small btn-primary">
            {t('common.save')}
          </button>
        </form>
      )}
      <ErrorBox error={err} />
    </div>
  );
}

/** Retire a point (with a confirmation); list and revoke its display devices. */
export function PointOps({ p, reload, ended }: { p: Point & { retired?: boolean }; reload: () => void; ended: boolean }) {
  const [asking, setAsking] = useState(false);
  const [devices, setDevices] = useState<{ id: string; created_at: string; revoked_at: string | null; active: boolean }[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  if (!canWrite()) return null;
  const loadDevices = async () => {
    try {
      setDevices(await api(`/points/${p.id}/devices`, { auth: 'staff' }));
    } catch (e2) {
      setErr(e2);
    }
  };
  const retire = async () => {
    try {
      await api(`/points/${p.id}/retire`, { method: 'POST', auth: 'staff' });
      setAsking(false);
      reload();
    } catch (e2) {
      setErr(e2);
    }
  };
  const revoke = async (id: string) => {
    try {
      await api(`/devices/${id}/revoke`, { method: 'POST', auth: 'staff' });
      await loadDevices();
    } catch (e2) {
      setErr(e2);
    }
  };
  return (
    <div class="ops">
      {p.retired ? (
        <span class="badge badge-ended">{t('ops.retired')}</span>
      ) : (
        !ended && (
          <button type="button" class="btn btn-small btn-danger" onClick={() => setAsking(true)}>
            {t('ops.retire')}
          </button>
        )
      )}
      {p.rotating && (
        <button type="button" class="btn btn-small" onClick={loadDevices}>
          {t('ops.devices')}
        </button>
      )}
      {asking && (
        <ConfirmBox title={t('ops.retire_q', { name: pick(p.name) })} danger onConfirm={retire} onCancel={() => setAsking(false)}>
          <p>{t('ops.retire_explain')}</p>
        </ConfirmBox>
      )}
      {devices && (
        <ul class="id-list">
          {devices.length === 0 && <li>{t('common.none')}</li>}
          {devices.map((d) => (
            <li key={d.id}>
              <code class="id">{d.id.slice(0, 8)}</code> · {fmtDateTime(d.created_at)} ·{' '}
              {d.active ? (
                <button type="button" class="btn btn-small btn-danger" onClick={() => revoke(d.id)}>
                  {t('ops.revoke')}
                </button>
              ) : (
                <span class="muted">{t('ops.revoked_at', { at: fmtDateTime(d.revoked_at || '') })}</span>
              )}
            </li>
          ))}
        </ul>
      )}
      <ErrorBox error={err} />
    </div>
  );
}

/** Suspend (with a reason and a confirmation) or reinstate a merchant. */
export function MerchantOps({ m, reload }: { m: Merchant & { suspended?: boolean; suspend_reason?: string | null }; reload: () => void }) {
  const [asking, setAsking] = useState(false);
  const [editing, setEditing] = useState(false);
  const [f, setF] = useState({ address: m.address, category: m.category, m_mark: m.m_mark });
  const saveEdit = async (e: Event) => {
    e.preventDefault();
    try {
      await api(`/merchants/${m.id}`, { method: 'PATCH', auth: 'staff', body: f });
      setEditing(false);
      setErr(null);
      reload();
    } catch (e2) {
      setErr(e2);
    }
  };
  const [reason, setReason] = useState('');
  const [err, setErr] = useState<unknown>(null);
  if (!canWrite()) return null;
  const call = async (what: 'suspend' | 'reinstate') => {
    try {
      await api(`/merchants/${m.id}/${what}`, { method: 'POST', auth: 'staff', body: what === 'suspend' ? { reason } : {} });
      setAsking(false);
      setErr(null);
      reload();
    } catch (e2) {
      setErr(e2);
    }
  };
  const rid = `susp-${m.id}`;
  return (
    <div class="ops">
      {m.suspended ? (
        <>
          <span class="badge badge-ended">{t('ops.suspended')}</span>
          {m.suspend_reason && <span class="muted"> — {m.suspend_reason}</span>}{' '}
          <button type="button" class="btn btn-small" onClick={() => call('reinstate')}>
            {t('ops.reinstate')}
          </button>
        </>
      ) : (
        <button type="button" class="btn btn-small btn-danger" onClick={() => setAsking(true)}>
          {t('ops.suspend')}
        </button>
      )}
      <button type="button" class="btn btn-small" aria-expanded={editing} onClick={() => setEditing(!editing)}>
        {t('common.edit')}
      </button>
      {editing && (
        <form class="row" onSubmit={saveEdit}>
          <label for={`ma-${m.id}`}>{t('merchant.address')}</label>
          <input id={`ma-${m.id}`} type="text" required value={f.address} onInput={(e) => setF({ ...f, address: e.currentTarget.value })} />
          <label for={`mc-${m.id}`}>{t('merchant.category')}</label>
          <select id={`mc-${m.id}`} value={f.category} onChange={(e) => setF({ ...f, category: e.currentTarget.value })}>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {tData('category', c)}
              </option>
            ))}
          </select>
          <label>
            <input type="checkbox" checked={f.m_mark} onChange={(e) => setF({ ...f, m_mark: e.currentTarget.checked })} /> {t('merchant.m_mark_field')}
          </label>
          <button type="submit" class="btn btn-small btn-primary">
            {t('common.save')}
          </button>
        </form>
      )}
      {asking && (
        <ConfirmBox title={t('ops.suspend_q', { name: pick(m.name) })} danger onConfirm={() => call('suspend')} onCancel={() => setAsking(false)}>
          <label for={rid}>{t('ops.reason')}</label>
          <input id={rid} type="text" required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </ConfirmBox>
      )}
      <ErrorBox error={err} />
    </div>
  );
}

type ImportAnswer = Schemas['ImportResult'];

/** Import merchants from the bureau's CSV: a dry run first, then the import after confirming. */
export function ImportMerchants({ onDone }: { onDone: () => void }) {
  const [csv, setCsv] = useState('');
  const [check, setCheck] = useState<ImportAnswer | null>(null);
  const [errors, setErrors] = useState<ImportAnswer['errors']>([]);
  const [err, setErr] = useState<unknown>(null);
  const [done, setDone] = useState('');
  if (!canWrite()) return null;
  const run = async (dry: boolean) => {
    setErr(null);
    setErrors([]);
    try {
      const r = await apiCsv<ImportAnswer>(`/merchants/import?dry_run=${dry}`, csv);
      if (dry) setCheck(r);
      else {
        setCheck(null);
        setCsv('');
        setDone(t('ops.imported', { n: fmtNumber(r.created) }));
        onDone();
      }
    } catch (e2) {
      setCheck(null);
      const errs = (e2 as { errors?: ImportAnswer['errors'] }).errors;
      if (Array.isArray(errs)) setErrors(errs);
      setErr(e2);
    }
  };
  const file = async (e: Event) => {
    const f = (e.currentTarget as HTMLInputElement).files?.[0];
    if (f) setCsv(await f.text());
    setCheck(null);
  };
  return (
    <section class="card" aria-labelledby="import-h">
      <h2 id="import-h">{t('ops.import')}</h2>
      <p class="hint">{t('ops.import_hint')}</p>
      <code class="id">username,password,name_zh_hant,name_zh_hans,name_pt,name_en,category,address,lat,lng,m_mark</code>
      <Field id="imp-file" label={t('ops.import_file')}>
        <input id="imp-file" type="file" accept=".csv,text/csv" onChange={file} />
      </Field>
      <div class="field wide">
        <label for="imp-text">{t('ops.import_text')}</label>
        <textarea
          id="imp-text"
          rows={6}
          value={csv}
          onInput={(e) => {
            setCsv(e.currentTarget.value);
            setCheck(null);
          }}
        />
      </div>
      <div class="row">
        <button type="button" class="btn btn-primary" disabled={!csv.trim()} onClick={() => run(true)}>
          {t('ops.check_file')}
        </button>
      </div>
      {done && <Notice kind="ok">{done}</Notice>}
      <ErrorBox error={err} />
      {errors.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label={t('ops.import_errors')}>
          <table class="compact" data-testid="import-errors">
            <caption>{t('ops.import_errors')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('ops.row')}</th>
                <th scope="col">{t('ops.column')}</th>
                <th scope="col">{t('ops.problem')}</th>
              </tr>
            </thead>
            <tbody>
              {errors.map((x, i) => (
                <tr key={i}>
                  <td>{x.row}</td>
                  <td>
                    <code>{x.field}</code>
                  </td>
                  <td lang="en">{x.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {check && (
        <ConfirmBox title={t('ops.import_q', { n: fmtNumber(check.would_create ?? 0) })} onConfirm={() => run(false)} onCancel={() => setCheck(null)} testId="import-confirm">
          <p>{t('ops.import_ok')}</p>
        </ConfirmBox>
      )}
    </section>
  );
}

type Outcome = Schemas['EnrolmentOutcome'] | Schemas['SettlementOutcome'];

function Results({ list, label }: { list: Outcome[]; label: (id: string) => string }) {
  const ok = list.filter((r) => r.status).length;
  return (
    <Notice kind={ok === list.length ? 'ok' : 'warn'}>
      <span data-testid="bulk-result">{t('ops.bulk_done', { ok: fmtNumber(ok), n: fmtNumber(list.length) })}</span>
      {list
        .filter((r) => r.code)
        .map((r) => (
          <div key={r.id}>
            {label(r.id)}: {errorText(r.code || 'internal')}
          </div>
        ))}
    </Notice>
  );
}

/** Approve or reject many applications at once, after a summary. */
export function BulkEnrolments({ list, onDone, campaigns }: { list: Enrolment[]; onDone: () => void; campaigns?: Map<string, string> }) {
  const [sel, setSel] = useState<Set<string>>(new Set());
  const [ask, setAsk] = useState<'approve' | 'reject' | null>(null);
  const [reason, setReason] = useState('');
  const [res, setRes] = useState<Outcome[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  if (!canWrite()) return null;
  const pending = list.filter((e) => e.status === 'pending');
  if (!pending.length && !res) return null;
  const name = (id: string) => {
    const e = list.find((x) => x.id === id);
    return e ? pick(e.merchant_name) || e.merchant_id : id;
  };
  const go = async () => {
    try {
      const r = await api<Outcome[]>('/enrolments/decide', { method: 'POST', auth: 'staff', body: { ids: [...sel], decision: ask, reason: reason.trim() || undefined } });
      setRes(r);
      setAsk(null);
      setSel(new Set());
      onDone();
    } catch (e2) {
      setErr(e2);
    }
  };
  const toggle = (id: string, on: boolean) => {
    const s = new Set(sel);
    if (on) s.add(id);
    else s.delete(id);
    setSel(s);
  };
  return (
    <section class="card" aria-labelledby="bulk-enrol-h">
      <h2 id="bulk-enrol-h">{t('ops.bulk_enrol')}</h2>
      <fieldset class="checks">
        <legend>{t('ops.choose')}</legend>
        <label>
          <input type="checkbox" checked={sel.size === pending.length && pending.length > 0} onChange={(e) => setSel(e.currentTarget.checked ? new Set(pending.map((p) => p.id)) : new Set())} />{' '}
          {t('ops.select_all', { n: fmtNumber(pending.length) })}
        </label>
        {pending.map((e) => (
          <label key={e.id}>
            <input type="checkbox" checked={sel.has(e.id)} onChange={(ev) => toggle(e.id, ev.currentTarget.checked)} /> {name(e.id)}
            {campaigns ? ` · ${campaigns.get(e.campaign_id) || ''}` : ''}
          </label>
        ))}
      </fieldset>
      <div class="row">
        <button type="button" class="btn btn-primary" disabled={!sel.size} onClick={() => setAsk('approve')}>
          {t('ops.approve_selected', { n: fmtNumber(sel.size) })}
        </button>
        <button type="button" class="btn btn-danger" disabled={!sel.size} onClick={() => setAsk('reject')}>
          {t('ops.reject_selected', { n: fmtNumber(sel.size) })}
        </button>
      </div>
      {ask && (
        <ConfirmBox title={t(ask === 'approve' ? 'ops.approve_q' : 'ops.reject_q', { n: fmtNumber(sel.size) })} danger={ask === 'reject'} onConfirm={go} onCancel={() => setAsk(null)}>
          <ul>
            {[...sel].map((id) => (
              <li key={id}>{name(id)}</li>
            ))}
          </ul>
          {ask === 'reject' && (
            <>
              <label for="bulk-reason">{t('enrol.reason')}</label>
              <input id="bulk-reason" type="text" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
            </>
          )}
        </ConfirmBox>
      )}
      <ErrorBox error={err} />
      {res && <Results list={res} label={name} />}
    </section>
  );
}

/** Approve or pay many statements at once, after a summary with the total. */
export function BulkSettlements({ list, onDone }: { list: Settlement[]; onDone: () => void }) {
  const [ask, setAsk] = useState<'approve' | 'pay' | null>(null);
  const [res, setRes] = useState<Outcome[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  if (!canWrite()) return null;
  const drafts = list.filter((s) => s.status === 'draft');
  const approved = list.filter((s) => s.status === 'approved');
  if (!drafts.length && !approved.length && !res) return null;
  const chosen = ask === 'approve' ? drafts : ask === 'pay' ? approved : [];
  const sum = chosen.reduce((a, s) => a + s.amount_avos, 0);
  const name = (id: string) => {
    const s = list.find((x) => x.id === id);
    return s ? pick(s.merchant_name) || s.merchant_id : id;
  };
  const go = async () => {
    try {
      const r = await api<Outcome[]>(`/settlements/${ask}`, { method: 'POST', auth: 'staff', body: { ids: chosen.map((s) => s.id) } });
      setRes(r);
      setAsk(null);
      setErr(null);
      onDone();
    } catch (e2) {
      setErr(e2);
    }
  };
  return (
    <section class="card" aria-labelledby="bulk-se-h">
      <h2 id="bulk-se-h">{t('ops.bulk_settle')}</h2>
      <div class="row">
        <button type="button" class="btn btn-primary" disabled={!drafts.length} onClick={() => setAsk('approve')}>
          {t('ops.approve_all', { n: fmtNumber(drafts.length) })}
        </button>
        <button type="button" class="btn btn-primary" disabled={!approved.length} onClick={() => setAsk('pay')}>
          {t('ops.pay_all', { n: fmtNumber(approved.length) })}
        </button>
      </div>
      {ask && (
        <ConfirmBox title={t(ask === 'approve' ? 'ops.approve_st_q' : 'ops.pay_q', { n: fmtNumber(chosen.length), total: fmtMoney(sum) })} danger={ask === 'pay'} onConfirm={go} onCancel={() => setAsk(null)}>
          <ul>
            {chosen.map((s) => (
              <li key={s.id}>
                {name(s.id)} · {fmtMoney(s.amount_avos)}
              </li>
            ))}
          </ul>
          <p class="hint">{t('ops.four_eyes')}</p>
        </ConfirmBox>
      )}
      <ErrorBox error={err} />
      {res && <Results list={res} label={name} />}
    </section>
  );
}

interface VisitorCoupon {
  id: string;
  offer_name: I18nName;
  kind: string;
  face_value_avos: number;
  status: string;
  issued_at: string;
}

/** A visitor's coupons with a button to void each unused one (with a reason). */
function VisitorCoupons({ id, onChange }: { id: string; onChange: () => void }) {
  const [v, err, reload] = useLoad(() => api<{ coupons: VisitorCoupon[] }>(`/visitors/${id}`, { auth: 'staff' }), [id]);
  const [ask, setAsk] = useState<VisitorCoupon | null>(null);
  const [reason, setReason] = useState('');
  const [actErr, setActErr] = useState<unknown>(null);
  const go = async () => {
    if (!ask) return;
    try {
      await api(`/coupons/${ask.id}/void`, { method: 'POST', auth: 'staff', body: { reason } });
      setAsk(null);
      setReason('');
      setActErr(null);
      reload();
      onChange();
    } catch (e2) {
      setActErr(e2);
    }
  };
  return (
    <div>
      <ErrorBox error={err || actErr} />
      <ul class="id-list">
        {(v?.coupons || []).length === 0 && <li>{t('common.none')}</li>}
        {(v?.coupons || []).map((k) => (
          <li key={k.id}>
            {pick(k.offer_name)} {k.kind === 'ecash' ? `· ${fmtMoney(k.face_value_avos)}` : ''} · {tData('status', k.status)} · {fmtDateTime(k.issued_at)}{' '}
            {k.status === 'issued' && (
              <button type="button" class="btn btn-small btn-danger" onClick={() => setAsk(k)}>
                {t('ops.void')}
              </button>
            )}
          </li>
        ))}
      </ul>
      {ask && (
        <ConfirmBox title={t('ops.void_q', { name: pick(ask.offer_name) })} danger onConfirm={go} onCancel={() => setAsk(null)}>
          <p>{t('ops.void_explain')}</p>
          <label for={`void-${ask.id}`}>{t('ops.reason')}</label>
          <input id={`void-${ask.id}`} type="text" required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </ConfirmBox>
      )}
    </div>
  );
}

/** On a fraud signal: what was done and by whom, and buttons to ban or suspend. */
export function SignalActions({ sg, reload }: { sg: Signal; reload: () => void }) {
  if (!canWrite()) return null;
  const visitors = [...new Set([sg.visitor_id, ...(sg.evidence?.visitor_ids || [])].filter(Boolean) as string[])];
  const merchants = [...new Set([sg.merchant_id, ...(sg.evidence?.merchant_ids || [])].filter(Boolean) as string[])];
  const [ask, setAsk] = useState<{ what: 'ban' | 'suspend'; id: string } | null>(null);
  const [reason, setReason] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const acted = new Map<string, string>();
  for (const a of [...(sg.actions || [])].reverse()) acted.set(`${a.entity}:${a.entity_id}`, a.action);
  const go = async () => {
    if (!ask) return;
    try {
      const path = ask.what === 'ban' ? `/visitors/${ask.id}/ban` : `/merchants/${ask.id}/suspend`;
      await api(path, { method: 'POST', auth: 'staff', body: { reason } });
      setAsk(null);
      setReason('');
      setErr(null);
      reload();
    } catch (e2) {
      setErr(e2);
    }
  };
  return (
    <div class="signal-actions">
      {(sg.actions || []).length > 0 && (
        <ul class="actions-taken" data-testid="actions-taken">
          {(sg.actions || []).map((a, i) => (
            <li key={i}>
              {t('ops.action_line', {
                action: tData('audit.action', a.action),
                who: a.by_username || '—',
                at: fmtDateTime(a.at),
              })}
              {a.reason ? ` — ${a.reason}` : ''}
            </li>
          ))}
        </ul>
      )}
      <div class="row">
        {visitors.slice(0, 20).map((v) =>
          acted.get(`visitor:${v}`) === 'ban' ? null : (
            <button key={v} type="button" class="btn btn-small btn-danger" onClick={() => setAsk({ what: 'ban', id: v })}>
              {t('ops.ban_visitor', { id: v.slice(0, 8) })}
            </button>
          ),
        )}
        {merchants.slice(0, 20).map((m) =>
          acted.get(`merchant:${m}`) === 'suspend' ? null : (
            <button key={m} type="button" class="btn btn-small btn-danger" onClick={() => setAsk({ what: 'suspend', id: m })}>
              {t('ops.suspend_merchant', { id: m.slice(0, 8) })}
            </button>
          ),
        )}
      </div>
      {visitors.slice(0, 20).map((v) => (
        <details key={`c-${v}`} class="evidence">
          <summary>{t('ops.visitor_coupons', { id: v.slice(0, 8) })}</summary>
          <VisitorCoupons id={v} onChange={reload} />
        </details>
      ))}
      {ask && (
        <ConfirmBox title={t(ask.what === 'ban' ? 'ops.ban_q' : 'ops.suspend_q', { name: ask.id.slice(0, 8) })} danger onConfirm={go} onCancel={() => setAsk(null)}>
          <p>{t(ask.what === 'ban' ? 'ops.ban_explain' : 'ops.suspend_explain')}</p>
          <label for="sg-reason">{t('ops.reason')}</label>
          <input id="sg-reason" type="text" required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </ConfirmBox>
      )}
      <ErrorBox error={err} />
    </div>
  );
}

/** The approved merchants of a campaign, each of which can be withdrawn (with a reason). */
export function ParticipantsSection({ campaignId, ended }: { campaignId: string; ended: boolean }) {
  const [list, err, reload] = useLoad(() => api<Enrolment[]>(`/campaigns/${campaignId}/enrolments`, { auth: 'staff' }), [campaignId]);
  const [ask, setAsk] = useState<Enrolment | null>(null);
  const [reason, setReason] = useState('');
  const [actErr, setActErr] = useState<unknown>(null);
  const approved = (list || []).filter((e) => e.status === 'approved');
  const go = async () => {
    if (!ask) return;
    try {
      await api(`/enrolments/${ask.id}/withdraw`, { method: 'POST', auth: 'staff', body: { reason } });
      setAsk(null);
      setReason('');
      setActErr(null);
      reload();
    } catch (e2) {
      setActErr(e2);
    }
  };
  return (
    <section class="section" aria-labelledby="participants-h">
      <h2 id="participants-h">{t('ops.participants', { n: fmtNumber(approved.length) })}</h2>
      <ErrorBox error={err || actErr} />
      {ask && (
        <ConfirmBox title={t('ops.withdraw_q', { name: pick(ask.merchant_name) || ask.merchant_id })} danger onConfirm={go} onCancel={() => setAsk(null)}>
          <label for="wd-reason">{t('ops.reason')}</label>
          <input id="wd-reason" type="text" required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </ConfirmBox>
      )}
      {approved.length > 0 && (
        <details>
          <summary>{t('ops.show_participants')}</summary>
          <ul class="id-list">
            {approved.map((e) => (
              <li key={e.id}>
                {pick(e.merchant_name) || e.merchant_id}{' '}
                {!ended && (
                  <button type="button" class="btn btn-small btn-danger" onClick={() => setAsk(e)}>
                    {t('ops.withdraw')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
