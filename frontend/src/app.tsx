// Routes and the role-appropriate navigation.
import { useEffect, useState } from 'preact/hooks';
import type { ComponentType } from 'preact';
import { t } from './i18n';
import { useAppState } from './store';
import { useRoute, match, navigate } from './router';
import { TopBar, type NavItem } from './components';
import { CampaignList, CampaignPage, ScanPage, WalletPage } from './visitor/screens';
import { PurchasePage } from './merchant/purchases';
import { RedeemPage, HistoryPage, MerchantSettlementsPage, MerchantCampaignsPage, MerchantStaffPage } from './merchant/screens';
import { Dashboard, CampaignsPage, CampaignDetail } from './official/campaigns';
import { MerchantsPage, EnrolmentsPage, SettlementsPage, PledgesPage, HolidaysPage } from './official/admin';
import { SignalsPage } from './official/signals';
import { AuditPage } from './official/audit';
import { SurveyAnswersPage, SourcesPage } from './official/desk';
import { LedgerPage, PayoutsPage, BankAccountPage } from './official/integrity';
import { DisplayPage } from './display';
import { LoginPage } from './login';
import { ChangePasswordPage } from './password';
import { StaffPage } from './official/staff';
import { Loading } from './components';

// The statistics page brings Chart.js: load it only when an official opens it.
let statsModule: Promise<{ StatsPage: ComponentType<{ id: string }> }> | null = null;
function LazyStats({ id }: { id: string }) {
  const [C, setC] = useState<ComponentType<{ id: string }> | null>(null);
  useEffect(() => {
    statsModule ??= import('./official/stats');
    statsModule.then((m) => setC(() => m.StatsPage));
  }, []);
  return C ? <C id={id} /> : <main id="main" class="page page-wide"><Loading /></main>;
}

function nav(items: [string, string][], path: string): NavItem[] {
  return items.map(([href, key]) => {
    const p = href.slice(1);
    const active = path === p || (p !== '/' && p !== '/official' && p !== '/merchant' && path.startsWith(p + '/'));
    return { href, label: t(key), active };
  });
}

export function App() {
  const st = useAppState();
  const { path, query } = useRoute();

  useEffect(() => {
    document.documentElement.lang = st.locale;
  }, [st.locale]);

  const area = path.startsWith('/official') ? 'official' : path.startsWith('/merchant') ? 'merchant' : path.startsWith('/display') ? 'display' : 'visitor';
  const role = st.staff?.role;
  const bureau = role === 'official' || role === 'viewer';
  const needsLogin = (area === 'official' && !bureau) || (area === 'merchant' && role !== 'merchant');
  // After a password reset nothing else works until a new one is chosen.
  const mustChange = !needsLogin && !!st.staff?.must_change_password && (area === 'official' || area === 'merchant');

  useEffect(() => {
    if (needsLogin) navigate('/login');
  }, [needsLogin]);

  useEffect(() => {
    document.title = `Bairro — ${t(`area.${area}`)}`;
    window.scrollTo(0, 0);
  }, [path, st.locale]);

  let items: NavItem[] = [];
  if (area === 'official')
    items = nav(
      [
        ['#/official', 'nav.dashboard'],
        ['#/official/campaigns', 'nav.campaigns'],
        ['#/official/merchants', 'nav.merchants'],
        ['#/official/enrolments', 'nav.enrolments'],
        ['#/official/settlements', 'nav.settlements'],
        ['#/official/payouts', 'nav.payouts'],
        ['#/official/ledger', 'nav.ledger'],
        ['#/official/pledges', 'nav.pledges'],
        ['#/official/holidays', 'nav.holidays'],
        ['#/official/audit', 'nav.audit'],
        ['#/official/staff', 'nav.staff_accounts'],
        ['#/official/password', 'nav.password'],
      ],
      path,
    );
  else if (area === 'merchant')
    items = nav(
      [
        ['#/merchant', 'nav.redeem'],
        ['#/merchant/purchase', 'nav.purchase'],
        ['#/merchant/history', 'nav.history'],
        ['#/merchant/settlements', 'nav.statements'],
        ['#/merchant/campaigns', 'nav.my_campaigns'],
        ['#/merchant/staff', 'nav.staff'],
        ['#/merchant/password', 'nav.password'],
        ['#/merchant/bank', 'nav.bank'],
      ].filter(
        ([href]) => st.staff?.merchant_role !== 'cashier' || (href !== '#/merchant/settlements' && href !== '#/merchant/staff' && href !== '#/merchant/bank'),
      ) as [
        string,
        string,
      ][],
      path,
    );
  else if (area === 'visitor' && path !== '/login')
    items = nav(
      [
        ['#/', 'nav.campaigns'],
        ['#/scan', 'nav.scan'],
        ['#/wallet', 'nav.wallet'],
      ],
      path,
    );
  else if (path === '/login' && role)
    items = [{ href: bureau ? '#/official' : '#/merchant', label: t(`area.${bureau ? 'official' : 'merchant'}`) }];

  let page;
  let m: Record<string, string> | null;
  if (mustChange) items = [];
  if (needsLogin) page = <LoginPage />;
  else if (mustChange) page = <ChangePasswordPage forced />;
  else if (path === '/' || path === '') page = <CampaignList />;
  else if ((m = match('/c/:slug', path))) page = <CampaignPage slug={m.slug} couponId={query.get('coupon') || undefined} />;
  else if (path === '/scan') page = <ScanPage campaignSlug={query.get('c') || undefined} initialMode={query.get('mode') === 'ar' ? 'ar' : 'qr'} />;
  else if (path === '/wallet') page = <WalletPage />;
  else if (path === '/login') page = <LoginPage />;
  else if ((m = match('/display/:id', path))) page = <DisplayPage pointId={m.id} />;
  else if (path === '/merchant') page = <RedeemPage />;
  else if (path === '/merchant/purchase') page = <PurchasePage />;
  else if (path === '/merchant/history') page = <HistoryPage />;
  else if (path === '/merchant/settlements') page = <MerchantSettlementsPage />;
  else if (path === '/merchant/campaigns') page = <MerchantCampaignsPage />;
  else if (path === '/merchant/staff') page = <MerchantStaffPage />;
  else if (path === '/merchant/bank') page = <BankAccountPage />;
  else if (path === '/official') page = <Dashboard />;
  else if (path === '/official/campaigns') page = <CampaignsPage />;
  else if ((m = match('/official/campaigns/:id/stats', path))) page = <LazyStats id={m.id} />;
  else if ((m = match('/official/campaigns/:id/signals', path))) page = <SignalsPage id={m.id} />;
  else if ((m = match('/official/campaigns/:id/survey', path))) page = <SurveyAnswersPage id={m.id} />;
  else if ((m = match('/official/campaigns/:id/sources', path))) page = <SourcesPage id={m.id} />;
  else if ((m = match('/official/campaigns/:id', path))) page = <CampaignDetail id={m.id} />;
  else if (path === '/official/merchants') page = <MerchantsPage />;
  else if (path === '/official/enrolments') page = <EnrolmentsPage />;
  else if (path === '/official/settlements') page = <SettlementsPage />;
  else if (path === '/official/pledges') page = <PledgesPage />;
  else if (path === '/official/holidays') page = <HolidaysPage />;
  else if (path === '/official/audit') page = <AuditPage />;
  else if (path === '/official/staff') page = <StaffPage />;
  else if (path === '/official/password' || path === '/merchant/password') page = <ChangePasswordPage />;
  else if (path === '/official/ledger') page = <LedgerPage />;
  else if (path === '/official/payouts') page = <PayoutsPage />;
  else
    page = (
      <main id="main" class="page page-phone">
        <h1>{t('error.not_found')}</h1>
        <p>
          <a href="#/">{t('visitor.all_campaigns')}</a>
        </p>
      </main>
    );

  return (
    <div class={`app area-${area}`}>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); const el = document.getElementById('main'); el?.setAttribute('tabindex', '-1'); el?.focus(); }}>
        {t('nav.skip')}
      </a>
      <TopBar items={items} area={area} />
      {area === 'official' && role === 'viewer' && !needsLogin && (
        <p class="alert alert-info viewer-note" role="note">
          {t('viewer.notice')}
        </p>
      )}
      {page}
    </div>
  );
}
