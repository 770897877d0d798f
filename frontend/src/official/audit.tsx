// Official: the audit log — who changed what and when, with the fields that changed.
import { useEffect, useState } from 'preact/hooks';
import { api, type AuditEntry } from '../api';
import { t, tn, tData, fmtDateTime, fmtDate, fmtMoney, pick, hasKey } from '../i18n';
import { fieldLabel } from '../components';
import { merchantLine } from './desk';
import { ErrorBox, Field, Loading, useLoad } from '../components';
import { getState, useAppState } from '../store';
import { useRoute, navigate } from '../router';

export const AUDIT_ENTITIES = ['campaign', 'point', 'offer', 'merchant', 'enrolment', 'settlement', 'holiday', 'pledge', 'user', 'device', 'survey'];
const LIMITS = ['50', '200', '1000'];

/** The signed-in user's id, read from the token (only to mark "you" in the log). */
function myUserId(): string | null {
  const tok = getState().staff?.token;
  const part = tok?.split('.')[1];
  if (!part) return null;
  try {
    const json = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof json.sub === 'string' ? json.sub : null;
  } catch {
    return null;
  }
}

export interface DiffRow {
  key: string;
  before: unknown;
  after: unknown;
  change: 'added' | 'removed' | 'changed' | 'same';
}

function isObj(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Field-by-field comparison of the row before and after; a missing side counts as absent. */
export function diff(before: unknown, after: unknown): DiffRow[] {
  if (!isObj(before) && !isObj(after)) {
    if (before === undefined && after === undefined) return [];
    const same = JSON.stringify(before) === JSON.stringify(after);
    return [{ key: '', before, after, change: same ? 'same' : before == null ? 'added' : after == null ? 'removed' : 'changed' }];
  }
  const b = isObj(before) ? before : {};
  const a = isObj(after) ? after : {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return keys.map((key) => {
    const inB = key in b && isObj(before);
    const inA = key in a && isObj(after);
    const change: DiffRow['change'] = !inB ? 'added' : !inA ? 'removed' : JSON.stringify(b[key]) === JSON.stringify(a[key]) ? 'same' : 'changed';
    return { key, before: b[key], after: a[key], change };
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A field's value as a person reads it: money, dates, names, yes/no and words for codes. */
function show(v: unknown, key = ''): string {
  if (v === undefined) return '';
  if (v === null) return '—';
  if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
  if (typeof v === 'number') return key.endsWith('_avos') ? fmtMoney(v) : String(v);
  if (typeof v === 'string') {
    if (UUID.test(v)) return t('audit.a_record');
    if (ISO_TIME.test(v)) return fmtDateTime(v);
    if (ISO_DAY.test(v)) return fmtDate(v);
    if (key === 'status' || key === 'kind' || key === 'category') {
      const k = key === 'category' ? `category.${v}` : key === 'kind' ? `audit.kind.${v}` : `status.${v}`;
      if (hasKey(k)) return t(k);
    }
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => show(x, key)).join(t('common.list_sep'));
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('zh-Hant' in o || 'pt' in o || 'en' in o) return pick(o as Record<string, string>);
    return Object.entries(o)
      .map(([k, x]) => `${fieldName(k)}: ${show(x, k)}`)
      .join('; ');
  }
  return String(v);
}

/** A field's name in words: the audit's own label, else the form's label. */
function fieldName(key: string): string {
  if (!key) return '—';
  if (hasKey(`audit.field.${key}`)) return t(`audit.field.${key}`);
  return fieldLabel(key);
}

/** What an entry is about, by name (a shop with its number and address). */
function entityName(r: AuditEntry): string {
  const l = r.entity_label;
  if (!l) return '';
  const name = pick(l.name);
  const line = merchantLine(l.merchant_no, l.address);
  const period = l.period_from && l.period_to ? ` · ${fmtDate(l.period_from)} – ${fmtDate(l.period_to)}` : '';
  return `${name}${line ? ` (${line})` : ''}${period}`;
}

function entityHref(entity: string, id: string): string | null {
  if (entity === 'campaign') return `#/official/campaigns/${encodeURIComponent(id)}`;
  if (entity === 'merchant') return `#/official/merchants?m=${encodeURIComponent(id)}`;
  return null;
}

export function AuditPage() {
  useAppState();
  const { query } = useRoute();
  const q = { entity: query.get('entity') || '', entity_id: query.get('entity_id') || '', limit: LIMITS.includes(query.get('limit') || '') ? query.get('limit')! : '200' };
  const [entity, setEntity] = useState(q.entity);
  const [entityId, setEntityId] = useState(q.entity_id);
  const [limit, setLimit] = useState(q.limit);
  useEffect(() => {
    setEntity(q.entity);
    setEntityId(q.entity_id);
    setLimit(q.limit);
  }, [q.entity, q.entity_id, q.limit]);
  const [list, err, reload, loading] = useLoad(() => {
    const p = new URLSearchParams({ limit: q.limit });
    if (q.entity) p.set('entity', q.entity);
    if (q.entity_id) p.set('entity_id', q.entity_id);
    return api<AuditEntry[]>(`/audit?${p}`, { auth: 'staff' });
  }, [q.entity, q.entity_id, q.limit]);
  const me = myUserId();
  const go = (e: string, id: string, l: string) => {
    const p = new URLSearchParams();
    if (e) p.set('entity', e);
    if (id.trim()) p.set('entity_id', id.trim());
    if (l !== '200') p.set('limit', l);
    const qs = p.toString();
    navigate(`/official/audit${qs ? `?${qs}` : ''}`);
  };
  return (
    <main id="main" class="page page-wide">
      <h1>{t('audit.title')}</h1>
      <p class="lead">{t('audit.lead')}</p>
      <form
        class="card filters row"
        onSubmit={(e) => {
          e.preventDefault();
          go(entity, entityId, limit);
          if (entity === q.entity && entityId.trim() === q.entity_id && limit === q.limit) reload();
        }}
      >
        <Field id="au-entity" label={t('audit.entity')}>
          <select id="au-entity" value={entity} onChange={(e) => setEntity(e.currentTarget.value)}>
            <option value="">{t('audit.all_entities')}</option>
            {AUDIT_ENTITIES.map((x) => (
              <option key={x} value={x}>
                {tData('audit.entity', x)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="au-id" label={t('audit.entity_id')}>
          <input id="au-id" type="text" autoComplete="off" value={entityId} onInput={(e) => setEntityId(e.currentTarget.value)} />
        </Field>
        <Field id="au-limit" label={t('audit.limit')}>
          <select id="au-limit" value={limit} onChange={(e) => setLimit(e.currentTarget.value)}>
            {LIMITS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" class="btn btn-primary">
          {t('common.apply')}
        </button>
        {(q.entity || q.entity_id) && (
          <button type="button" class="btn" onClick={() => go('', '', limit)}>
            {t('audit.clear')}
          </button>
        )}
      </form>
      {loading && <Loading />}
      <ErrorBox error={err} />
      {list && !loading && (
        <p role="status" data-testid="audit-count">
          {list.length ? tn('audit.count', list.length) : t('audit.none')}
        </p>
      )}
      {list && list.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label={t('audit.title')}>
          <table class="audit">
            <thead>
              <tr>
                <th scope="col">{t('audit.when')}</th>
                <th scope="col">{t('audit.who')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.entity')}</th>
                <th scope="col">{t('audit.changes')}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <AuditRow key={r.id} r={r} me={me} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}

function AuditRow({ r, me }: { r: AuditEntry; me: string | null }) {
  const [open, setOpen] = useState(false);
  const [all, setAll] = useState(false);
  // Changed fields first, then (when asked) the ones that stayed the same.
  const rows = diff(r.before, r.after).sort((x, y) => Number(x.change === 'same') - Number(y.change === 'same'));
  // A field that appeared empty (a new record's unset dates) is not a change worth naming.
  const changed = rows.filter((d) => d.change !== 'same' && !(d.change === 'added' && d.after == null));
  const href = entityHref(r.entity, r.entity_id);
  const did = `audit-diff-${r.id}`;
  const summaryKeys = changed.slice(0, 4).map((d) => fieldName(d.key));
  return (
    <>
      <tr data-testid="audit-row">
        <td class="nowrap">{fmtDateTime(r.at)}</td>
        <td>
          {r.actor_name ? <strong>{r.actor_name}</strong> : tData('audit.role', r.actor_role)}
          {r.actor_name && (
            <>
              <br />
              <span class="muted">{tData('audit.role', r.actor_role)}</span>
            </>
          )}
          {me && me === r.actor_id && <> <span class="tag">{t('audit.you')}</span></>}
        </td>
        <td>{tData('audit.action', r.action)}</td>
        <td>
          {tData('audit.entity', r.entity)}
          <br />
          {href ? <a href={href}>{entityName(r) || t('audit.a_record')}</a> : <span>{entityName(r) || (UUID.test(r.entity_id) ? t('audit.a_record') : show(r.entity_id))}</span>}{' '}
          <a class="small-link" href={`#/official/audit?entity=${encodeURIComponent(r.entity)}&entity_id=${encodeURIComponent(r.entity_id)}`}>
            {t('audit.history_of')}
          </a>
        </td>
        <td>
          <span class="changed-keys">
            {r.before == null && r.after == null
              ? t('audit.no_details')
              : changed.length === 0
              ? t('audit.no_changes')
              : `${summaryKeys.join(t('common.list_sep'))}${changed.length > summaryKeys.length ? ` ${t('audit.more', { n: changed.length - summaryKeys.length })}` : ''}`}
          </span>{' '}
          {rows.length > 0 && (
            <button type="button" class="btn btn-small" aria-expanded={open} aria-controls={did} onClick={() => setOpen(!open)}>
              {open ? t('audit.hide_diff') : t('audit.show_diff')}
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr class="diff-row" id={did}>
          <td colSpan={5}>
            <table class="diff compact">
              <caption>
                {t('audit.diff_caption', { action: tData('audit.action', r.action), entity: tData('audit.entity', r.entity) })}
              </caption>
              <thead>
                <tr>
                  <th scope="col">{t('audit.field')}</th>
                  <th scope="col">{t('audit.before')}</th>
                  <th scope="col">{t('audit.after')}</th>
                  <th scope="col">{t('audit.change')}</th>
                </tr>
              </thead>
              <tbody>
                {(all ? rows : changed).map((d) => (
                  <tr key={d.key} class={`diff-${d.change}`}>
                    <th scope="row">{fieldName(d.key)}</th>
                    <td class="val">{d.change === 'added' ? '' : show(d.before, d.key)}</td>
                    <td class="val">{d.change === 'removed' ? '' : show(d.after, d.key)}</td>
                    <td>
                      <span class={`chg chg-${d.change}`}>{t(`audit.chg_${d.change}`)}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {rows.length > changed.length && (
              <button type="button" class="btn btn-small" aria-pressed={all} onClick={() => setAll(!all)}>
                {all ? t('audit.only_changed') : tn('audit.show_unchanged', rows.length - changed.length)}
              </button>
            )}
          </td>
        </tr>
      )}
    </>
  );
}
