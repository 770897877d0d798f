// Officials give a campaign its cover and a shop its photo: pick a file, Bairro resizes it.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { t } from '../i18n';
import { describeError } from '../components';

function readAsDataUrl(file: File): Promise<string> {
  return new Promise((res, rej) => {
    const r = new FileReader();
    r.onload = () => res(String(r.result));
    r.onerror = () => rej(r.error);
    r.readAsDataURL(file);
  });
}

export function ImageUpload({
  kind,
  ownerId,
  current,
  label,
  onDone,
}: {
  kind: 'cover' | 'photo';
  ownerId: string;
  current?: string | null;
  label: string;
  onDone?: (url: string) => void;
}) {
  const [url, setUrl] = useState<string | null>(current || null);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const id = `upload-${kind}-${ownerId}`;
  const path = kind === 'cover' ? `/campaigns/${encodeURIComponent(ownerId)}/cover` : `/merchants/${encodeURIComponent(ownerId)}/photo`;
  const pick = async (e: Event) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    setBusy(true);
    setMsg(null);
    try {
      const image = await readAsDataUrl(file);
      const r = await api<{ url: string }>(path, { method: 'PUT', auth: 'staff', body: { image } });
      setUrl(r.url);
      setMsg({ ok: true, text: t('image.saved') });
      onDone?.(r.url);
    } catch (err) {
      setMsg({ ok: false, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class={`image-upload image-upload-${kind}`}>
      {url && <img src={url} alt="" class={kind === 'cover' ? 'cover-preview' : 'photo-preview'} />}
      <label for={id} class="btn btn-small">
        {label}
      </label>
      <input id={id} type="file" accept="image/jpeg,image/png,image/webp" class="sr-only" onChange={pick} disabled={busy} />
      {msg && (
        <span class={msg.ok ? 'muted' : 'alert alert-error'} role="status">
          {msg.text}
        </span>
      )}
    </div>
  );
}
