// Live figures for officials: reads `/campaigns/{id}/stats/stream` (server-sent events) with
// fetch and a stream reader, so the bearer token travels in the Authorization header.
import { useEffect, useRef, useState } from 'preact/hooks';
import { API } from '../api';
import { getState } from '../store';
import { t } from '../i18n';
import { useNow } from '../components';

export interface LiveTotals {
  campaign_id: string;
  funnel: {
    page_views: number;
    unique_visitors: number;
    visitors: number;
    checkins: number;
    coupons_issued: number;
    coupons_redeemed: number;
  };
  redemption_rate: number;
  ecash_redeemed_avos: number;
  spend_avos: number;
  merchants_enrolled: number;
  merchants_redeeming: number;
  survey?: { responses: number; yes: number; share: number | null };
}

/**
 * Follows one campaign's stream. `onData` gets every figures event; the answer is the time of
 * the last word from the server (figures or a keep-alive) and whether the stream is connected.
 * It reconnects after a failure, waiting a little longer each time.
 */
export function useLiveStats(campaignId: string | null, onData: (v: LiveTotals) => void): { at: number | null; connected: boolean } {
  const [at, setAt] = useState<number | null>(null);
  const [connected, setConnected] = useState(false);
  const cb = useRef(onData);
  cb.current = onData;
  useEffect(() => {
    if (!campaignId) return;
    const ctl = new AbortController();
    let stopped = false;
    let wait = 1000;
    const run = async () => {
      while (!stopped) {
        try {
          const token = getState().staff?.token;
          const res = await fetch(`${API}/campaigns/${encodeURIComponent(campaignId)}/stats/stream`, {
            headers: { Accept: 'text/event-stream', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
            signal: ctl.signal,
          });
          if (!res.ok || !res.body) {
            // Not allowed or gone: no point in retrying quickly.
            if (res.status === 401 || res.status === 403 || res.status === 404) return;
            throw new Error(String(res.status));
          }
          setConnected(true);
          wait = 1000;
          const reader = res.body.getReader();
          const dec = new TextDecoder();
          let buf = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += dec.decode(value, { stream: true });
            let i: number;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              const block = buf.slice(0, i);
              buf = buf.slice(i + 2);
              setAt(Date.now());
              const data = block
                .split('\n')
                .filter((l) => l.startsWith('data:'))
                .map((l) => l.slice(5).trim())
                .join('\n');
              if (data) {
                try {
                  cb.current(JSON.parse(data) as LiveTotals);
                } catch {
                  /* a malformed event is skipped */
                }
              }
            }
          }
        } catch {
          if (stopped) return;
        }
        setConnected(false);
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 30000);
      }
    };
    run();
    return () => {
      stopped = true;
      ctl.abort();
    };
  }, [campaignId]);
  return { at, connected };
}

/** "Live · updated 3 s ago", or that the live link is down. */
export function LiveBadge({ at, connected }: { at: number | null; connected: boolean }) {
  const now = useNow(1000);
  const secs = at ? Math.max(0, Math.round((now - at) / 1000)) : null;
  return (
    <p class={connected ? 'live live-on' : 'live live-off'} data-testid="live-badge" aria-live="off">
      <span class="live-dot" aria-hidden="true" />{' '}
      {connected ? t('live.on') : t('live.off')}
      {secs !== null && <> · {t('live.updated', { n: secs })}</>}
    </p>
  );
}
