import type { ComponentChildren } from 'preact';
import type { I18nName } from '../api';
import { t } from '../i18n';
import { LOCALE_LABELS } from '../i18n';
import { DateField, Field } from '../components';

const NAME_LOCALES = ['zh-Hant', 'pt', 'en', 'zh-Hans'] as const;

/** Inputs for a name in each language; zh-Hans is optional. */
export function NameFields({ idPrefix, value, onChange }: { idPrefix: string; value: I18nName; onChange: (v: I18nName) => void }) {
  return (
    <fieldset class="names">
      <legend>{t('common.name')}</legend>
      {NAME_LOCALES.map((l) => (
        <Field key={l} id={`${idPrefix}-${l}`} label={`${LOCALE_LABELS[l]}${l === 'zh-Hans' ? ` (${t('common.optional')})` : ''}`}>
          <input
            id={`${idPrefix}-${l}`}
            type="text"
            lang={l}
            required={l !== 'zh-Hans'}
            value={value[l] || ''}
            onInput={(e) => onChange({ ...value, [l]: e.currentTarget.value })}
          />
        </Field>
      ))}
    </fieldset>
  );
}

export function cleanName(n: I18nName): I18nName {
  const out: I18nName = {};
  for (const l of NAME_LOCALES) if (n[l]?.trim()) out[l] = n[l]!.trim();
  return out;
}

export const CATEGORIES = ['food', 'retail', 'services', 'culture', 'lodging', 'other'];

/** The sections of one campaign: set-up, statistics, fraud signals. */
export function CampaignTabs({ id, current }: { id: string; current: 'detail' | 'stats' | 'signals' | 'survey' | 'sources' }) {
  const tabs: ['detail' | 'stats' | 'signals' | 'survey' | 'sources', string, string][] = [
    ['detail', `#/official/campaigns/${id}`, t('campaign.tab_setup')],
    ['stats', `#/official/campaigns/${id}/stats`, t('nav.stats')],
    ['signals', `#/official/campaigns/${id}/signals`, t('nav.signals')],
    ['survey', `#/official/campaigns/${id}/survey`, t('survey.answers_tab')],
    ['sources', `#/official/campaigns/${id}/sources`, t('sources.tab')],
  ];
  return (
    <nav class="tabs" aria-label={t('campaign.sections')}>
      <ul>
        {tabs.map(([k, href, label]) => (
          <li key={k}>
            <a href={href} aria-current={k === current ? 'page' : undefined} class={k === current ? 'active' : ''}>
              {label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** The from/to filter of the statistics and signals pages; extra buttons follow "apply". */
export function DateRangeForm(props: {
  idPrefix: string;
  from: string;
  to: string;
  setFrom: (v: string) => void;
  setTo: (v: string) => void;
  onApply: () => void;
  children?: ComponentChildren;
}) {
  const { idPrefix, from, to, setFrom, setTo, onApply, children } = props;
  return (
    <form
      class="card filters row"
      onSubmit={(e) => {
        e.preventDefault();
        onApply();
      }}
    >
      <div class="field">
        <label for={`${idPrefix}-from`}>{t('common.from')}</label>
        <DateField id={`${idPrefix}-from`} value={from} onChange={setFrom} />
      </div>
      <div class="field">
        <label for={`${idPrefix}-to`}>{t('common.to')}</label>
        <DateField id={`${idPrefix}-to`} value={to} onChange={setTo} />
      </div>
      <button type="submit" class="btn btn-primary">
        {t('common.apply')}
      </button>
      {children}
    </form>
  );
}
