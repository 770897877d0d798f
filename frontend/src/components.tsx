// Shared pieces: top bar, language switcher, messages, QR image, small form helpers.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import QRCode from 'qrcode';
import { t, tData, pick, fmtDate, fmtDateTime, fmtMoney, hasKey, errorText, parseDay, calendarLabels, macauToday, LOCALE_LABELS } from './i18n';
import { LOCALES, setLocale, setStaff, useAppState, type Locale } from './store';
import { ApiError, NetworkError, downloadFile, type I18nName } from './api';
import { navigate } from './router';

export function LanguageSwitcher() {
  const st = useAppState();
  return (
    <label class="lang">
      <span class="sr-only">{t('nav.language')}</span>
      <select
        aria-label={t('nav.language')}
        value={st.locale}
        onChange={(e) => setLocale((e.currentTarget as HTMLSelectElement).value as Locale)}
      >
        {LOCALES.map((l) => (
          <option value={l} lang={l} key={l}>
            {LOCALE_LABELS[l]}
          </option>
        ))}
      </select>
    </label>
  );
}

export interface NavItem {
  href: string;
  label: string;
  active?: boolean;
}

export function TopBar({ items, area }: { items: NavItem[]; area: 'visitor' | 'merchant' | 'official' | 'display' }) {
  const st = useAppState();
  const home = area === 'official' ? '#/official' : area === 'merchant' ? '#/merchant' : '#/';
  return (
    <header class={`topbar topbar-${area}`}>
      <div class="topbar-row">
        <a class="brand" href={home}>
          <span class="brand-mark" aria-hidden="true">
            B
          </span>
          <span>Bairro</span>
          {area !== 'visitor' && area !== 'display' && <span class="brand-area">{t(`area.${area}`)}</span>}
        </a>
        <div class="topbar-tools">
          <LanguageSwitcher />
          {st.staff ? (
            <button
              type="button"
              class="btn-link"
              onClick={() => {
                setStaff(null);
                navigate('/login');
              }}
            >
              {t('nav.logout')}
            </button>
          ) : (
            area !== 'display' && (
              <a class="btn-link" href="#/login">
                {t('nav.login')}
              </a>
            )
          )}
        </div>
      </div>
      {items.length > 0 && (
        <nav aria-label={t('nav.main')}>
          <ul class="menu">
            {items.map((i) => (
              <li key={i.href}>
                <a href={i.href} aria-current={i.active ? 'page' : undefined} class={i.active ? 'active' : ''}>
                  {i.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
    </header>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div class="alert alert-error" role="alert">
      {describeError(error)}
    </div>
  );
}

/** A request field as a person reads it: the form's label (`field.<name>`), or a general word. */
export function fieldLabel(field: string | undefined): string {
  if (!field) return '';
  const base = field.replace(/\[\d+\]/g, '').split('.')[0];
  for (const k of [`field.${field}`, `field.${base}`]) if (hasKey(k)) return t(k);
  return t('field.other');
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const msg = errorText(error.code);
    const b = error.body || {};
    if (error.code === 'already_redeemed' && typeof b.redeemed_at === 'string') {
      const shop = pick(b.merchant_name as I18nName | undefined);
      return `${msg} ${t(b.same_merchant ? 'error.already_redeemed_here' : 'error.already_redeemed_at', { when: fmtDateTime(b.redeemed_at), shop })}`;
    }
    if (error.code === 'validation_failed' && Array.isArray(error.errors) && error.errors.length) {
      // Field names are shown as the form's labels, never as the API's names.
      const labels = (error.errors as { field?: string }[]).map((e) => fieldLabel(e.field)).filter((x, i, a) => x && a.indexOf(x) === i);
      return labels.length ? `${msg} ${t('error.check_fields', { fields: labels.join(t('common.list_sep')) })}` : msg;
    }
    if (error.code === 'min_spend_not_met' && typeof b.min_spend_avos === 'number') {
      return `${msg} ${t('error.min_spend_is', { min: fmtMoney(b.min_spend_avos), short: fmtMoney(typeof b.short_avos === 'number' ? b.short_avos : 0) })}`;
    }
    if (error.code === 'coupon_expired' && typeof b.expired_at === 'string') {
      return `${msg} ${t('error.expired_on', { when: fmtDateTime(b.expired_at) })}`;
    }
    if (error.code === 'merchant_not_eligible' && Array.isArray(b.eligible_categories) && b.eligible_categories.length) {
      return `${msg} ${t('error.eligible_only', { list: (b.eligible_categories as string[]).map((c) => tData('category', c)).join(t('common.list_sep')) })}`;
    }
    return msg;
  }
  if (error instanceof NetworkError) return t('error.network');
  return t('error.internal');
}

export function Notice({ kind = 'info', children }: { kind?: 'info' | 'ok' | 'warn'; children: ComponentChildren }) {
  return (
    <div class={`alert alert-${kind}`} role="status">
      {children}
    </div>
  );
}

export function Loading() {
  return (
    <p class="loading" role="status">
      {t('common.loading')}
    </p>
  );
}

/** Run an async loader on mount/deps change; returns [data, error, reload]. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): [T | undefined, unknown, () => void, boolean] {
  const [data, setData] = useState<T | undefined>(undefined);
  const [err, setErr] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    fn()
      .then((d) => {
        if (live) {
          setData(d);
          setErr(null);
        }
      })
      .catch((e) => live && setErr(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, n]);
  return [data, err, () => setN((x) => x + 1), loading];
}

/** A QR code drawn on a canvas from text, entirely client side (works offline). */
export function QrImage({ text, size = 240, label }: { text: string; size?: number; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (ref.current && text) {
      QRCode.toCanvas(ref.current, text, { width: size, margin: 2, errorCorrectionLevel: 'M' }).catch(() => {});
    }
  }, [text, size]);
  return <canvas ref={ref} class="qr" role="img" aria-label={label} width={size} height={size} />;
}

export function Field({
  label,
  children,
  hint,
  id,
}: {
  label: string;
  children: ComponentChildren;
  hint?: string;
  id: string;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {hint && (
        <small class="hint" id={`${id}-hint`}>
          {hint}
        </small>
      )}
    </div>
  );
}

/**
 * A day field (value `YYYY-MM-DD`, a Macau calendar day) that reads and writes days the way the
 * rest of the screen does, in the chosen language (`fmtDate`: "3 Nov 2026", "03/11/2026",
 * "2026年11月3日"), never in the browser's own date format. A day can be typed (in that format,
 * as numbers in the language's order, or as 2026-11-03) or picked on a calendar in the same
 * language. Every date filter and date input of the web app uses it.
 */
export function DateField({
  id,
  value,
  onChange,
  required,
  describedBy,
  onDayAndTime,
}: {
  id: string;
  value: string;
  onChange: (day: string) => void;
  required?: boolean;
  describedBy?: string;
  /** With a time beside it: a pasted `2026-11-03T14:05` sets both. */
  onDayAndTime?: (day: string, time: string) => void;
}) {
  const [draft, setDraft] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const start = value || macauToday();
  const [month, setMonth] = useState({ y: +start.slice(0, 4), m: +start.slice(5, 7) - 1 });
  const wrap = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: Event) => {
      if (wrap.current && !wrap.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', close);
    return () => document.removeEventListener('pointerdown', close);
  }, [open]);
  const invalid = draft !== null && draft.trim() !== '' && parseDay(draft) === null;
  const example = fmtDate('2026-12-31');
  const type = (text: string) => {
    setDraft(text);
    const both = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?$/.exec(text.trim());
    if (both && onDayAndTime && parseDay(both[1])) {
      onDayAndTime(both[1], both[2]);
      setDraft(null);
      return;
    }
    const day = parseDay(text);
    if (day) onChange(day);
    else if (!text.trim()) onChange('');
  };
  const toggle = () => {
    if (!open) {
      const s = value || macauToday();
      setMonth({ y: +s.slice(0, 4), m: +s.slice(5, 7) - 1 });
    }
    setOpen(!open);
  };
  const cal = calendarLabels(month.y, month.m);
  const first = new Date(Date.UTC(month.y, month.m, 1)).getUTCDay();
  const lead = (first - cal.firstDay + 7) % 7;
  const days = new Date(Date.UTC(month.y, month.m + 1, 0)).getUTCDate();
  const cells: (string | null)[] = [...Array(lead).fill(null)];
  for (let d = 1; d <= days; d++) cells.push(new Date(Date.UTC(month.y, month.m, d)).toISOString().slice(0, 10));
  while (cells.length % 7) cells.push(null);
  const weeks = Array.from({ length: cells.length / 7 }, (_, i) => cells.slice(i * 7, i * 7 + 7));
  const shift = (n: number) => {
    const d = new Date(Date.UTC(month.y, month.m + n, 1));
    setMonth({ y: d.getUTCFullYear(), m: d.getUTCMonth() });
  };
  const hint = `${id}-format`;
  return (
    <div class="date-field" ref={wrap} onKeyDown={(e) => e.key === 'Escape' && open && (e.stopPropagation(), setOpen(false))}>
      <div class="date-field-row">
        <input
          id={id}
          type="text"
          inputMode="numeric"
          autoComplete="off"
          required={required}
          data-value={value}
          placeholder={t('date.example', { date: example })}
          aria-invalid={invalid || undefined}
          aria-describedby={[describedBy, invalid ? hint : ''].filter(Boolean).join(' ') || undefined}
          value={draft ?? (value ? fmtDate(value) : '')}
          onInput={(e) => type(e.currentTarget.value)}
          onBlur={() => {
            if (!invalid) setDraft(null);
          }}
        />
        <button type="button" class="btn btn-small date-field-pick" aria-label={t('date.pick')} aria-expanded={open} aria-controls={`${id}-calendar`} onClick={toggle}>
          <span aria-hidden="true">▦</span>
        </button>
      </div>
      {invalid && (
        <small class="hint date-field-error" id={hint}>
          {t('date.invalid', { date: example })}
        </small>
      )}
      {open && (
        <div class="date-calendar card" id={`${id}-calendar`} role="dialog" aria-label={t('date.pick')}>
          <div class="row date-calendar-head">
            <button type="button" class="btn btn-small" aria-label={t('date.prev_month')} onClick={() => shift(-1)}>
              ‹
            </button>
            <strong aria-live="polite">{cal.title}</strong>
            <button type="button" class="btn btn-small" aria-label={t('date.next_month')} onClick={() => shift(1)}>
              ›
            </button>
          </div>
          <table class="date-calendar-grid">
            <thead>
              <tr>
                {cal.weekdays.map((w, i) => (
                  <th key={i} scope="col">
                    {w}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {weeks.map((w, i) => (
                <tr key={i}>
                  {w.map((d, j) => (
                    <td key={j}>
                      {d && (
                        <button
                          type="button"
                          class={d === value ? 'date-day selected' : 'date-day'}
                          aria-pressed={d === value}
                          aria-label={fmtDate(d)}
                          data-day={d}
                          onClick={() => {
                            setDraft(null);
                            onChange(d);
                            setOpen(false);
                          }}
                        >
                          {+d.slice(8)}
                        </button>
                      )}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** "14:05", "9.30", "9h30" → HH:MM (24-hour), or null. */
export function parseTime(text: string): string | null {
  const m = /^(\d{1,2})\s*[:.hH時时]\s*(\d{2})\s*分?$/.exec(text.trim());
  if (!m || +m[1] > 23 || +m[2] > 59) return null;
  return `${m[1].padStart(2, '0')}:${m[2]}`;
}

/**
 * A Macau date and time (value `YYYY-MM-DDTHH:MM`, as `localInputToRfc3339` takes it): the day
 * field above in the reader's language and the time on a 24-hour clock beside it. Replaces the
 * browser's datetime-local input, which writes days in the browser's format, not the page's.
 */
export function DateTimeField({
  id,
  value,
  onChange,
  required,
  describedBy,
}: {
  id: string;
  value: string;
  onChange: (v: string) => void;
  required?: boolean;
  describedBy?: string;
}) {
  const day = value.slice(0, 10);
  const time = value.slice(11, 16);
  const [draft, setDraft] = useState<string | null>(null);
  const set = (d: string, tm: string) => onChange(d ? `${d}T${tm || '00:00'}` : '');
  const bad = draft !== null && draft.trim() !== '' && parseTime(draft) === null;
  return (
    <div class="date-time-field">
      <DateField id={id} value={day} required={required} describedBy={describedBy} onChange={(d) => set(d, (draft !== null && parseTime(draft)) || time)} onDayAndTime={set} />
      <input
        id={`${id}-time`}
        class="date-time-field-time"
        type="text"
        inputMode="numeric"
        autoComplete="off"
        aria-label={t('date.time')}
        aria-invalid={bad || undefined}
        placeholder="14:30"
        required={required}
        value={draft ?? time}
        onInput={(e) => {
          const text = e.currentTarget.value;
          setDraft(text);
          const tm = parseTime(text);
          if (tm && day) set(day, tm);
        }}
        onBlur={() => {
          // Without a day yet, the typed time waits in the field for it.
          if (!bad && day) setDraft(null);
        }}
      />
    </div>
  );
}

/**
 * The two downloads of a CSV export: the long form for programs (the path as it is) and the
 * spreadsheet shape (`shape=sheet`: one table, rounded rates, patacas). `sheetQuery` adds to
 * the spreadsheet's query (the statistics' `table`).
 */
export function CsvButtons({
  path,
  filename,
  onError,
  small,
  sheetQuery = '',
}: {
  path: string;
  filename: string;
  onError: (e: unknown) => void;
  small?: boolean;
  sheetQuery?: string;
}) {
  const cls = small ? 'btn btn-small' : 'btn';
  const sep = path.includes('?') ? '&' : '?';
  const sheetName = filename.replace(/\.csv$/, '') + (sheetQuery ? `-${sheetQuery.replace(/^.*=/, '')}` : '') + '-sheet.csv';
  return (
    <>
      <button type="button" class={cls} onClick={() => downloadFile(path, filename).catch(onError)}>
        {t('common.download_csv')}
      </button>
      <button type="button" class={cls} onClick={() => downloadFile(`${path}${sep}shape=sheet${sheetQuery ? `&${sheetQuery}` : ''}`, sheetName).catch(onError)}>
        {t('common.download_sheet')}
      </button>
    </>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{tData("status", status)}</span>;
}

export function MMark() {
  return (
    <span class="mmark" title={t('merchant.mmark_title')}>
      {t('merchant.mmark')}
    </span>
  );
}

/** Ticks every `ms` so countdowns re-render. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

export function fmtCountdown(msLeft: number): string {
  if (msLeft <= 0) return '0:00';
  const s = Math.floor(msLeft / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return t('time.days_hours', { d, h });
  if (h > 0) return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  return `${m}:${String(sec).padStart(2, '0')}`;
}
