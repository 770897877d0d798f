// Camera scanner: getUserMedia → canvas → jsQR, with an optional AR overlay anchored on the code's corners.
import { useEffect, useRef, useState } from 'preact/hooks';
import jsQR, { type QRCode } from 'jsqr';
import { t } from './i18n';

export type Corners = QRCode['location'];

export interface ScannerHandle {
  /** Video frame + overlay composed into one PNG. */
  capture(): Promise<Blob | null>;
}

interface Props {
  onCode: (text: string, location: Corners) => void;
  /** Draws on the overlay canvas (already cleared) in video pixel coordinates. */
  drawOverlay?: (ctx: CanvasRenderingContext2D, loc: Corners, w: number, h: number) => void;
  onHandle?: (h: ScannerHandle) => void;
  label: string;
}

const DECODE_MAX = 640;

export function Scanner({ onCode, drawOverlay, onHandle, label }: Props) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const overlayRef = useRef<HTMLCanvasElement>(null);
  const [state, setState] = useState<'starting' | 'running' | 'denied' | 'unavailable'>('starting');
  const cb = useRef({ onCode, drawOverlay });
  cb.current = { onCode, drawOverlay };

  useEffect(() => {
    let stream: MediaStream | null = null;
    let stopped = false;
    let timer: number | undefined;
    let lastSeen = 0;
    const work = document.createElement('canvas');
    const wctx = work.getContext('2d', { willReadFrequently: true })!;

    const tick = () => {
      if (stopped) return;
      try {
        step();
      } catch {
        /* a bad frame must not stop the loop */
      }
      timer = window.setTimeout(tick, 150);
    };

    const step = () => {
      const v = videoRef.current;
      const ov = overlayRef.current;
      if (v && ov && v.readyState >= 2 && v.videoWidth > 0) {
        const vw = v.videoWidth;
        const vh = v.videoHeight;
        if (ov.width !== vw || ov.height !== vh) {
          ov.width = vw;
          ov.height = vh;
        }
        const scale = Math.min(1, DECODE_MAX / Math.max(vw, vh));
        const dw = Math.round(vw * scale);
        const dh = Math.round(vh * scale);
        work.width = dw;
        work.height = dh;
        wctx.drawImage(v, 0, 0, dw, dh);
        const img = wctx.getImageData(0, 0, dw, dh);
        const code = jsQR(img.data, dw, dh, { inversionAttempts: 'attemptBoth' });
        const octx = ov.getContext('2d')!;
        if (code && code.data) {
          lastSeen = Date.now();
          const k = 1 / scale;
          const sp = (p: { x: number; y: number }) => ({ x: p.x * k, y: p.y * k });
          const l = code.location;
          const loc = {
            ...l,
            topLeftCorner: sp(l.topLeftCorner),
            topRightCorner: sp(l.topRightCorner),
            bottomLeftCorner: sp(l.bottomLeftCorner),
            bottomRightCorner: sp(l.bottomRightCorner),
            topLeftFinderPattern: sp(l.topLeftFinderPattern),
            topRightFinderPattern: sp(l.topRightFinderPattern),
            bottomLeftFinderPattern: sp(l.bottomLeftFinderPattern),
          } as Corners;
          octx.clearRect(0, 0, vw, vh);
          if (cb.current.drawOverlay) cb.current.drawOverlay(octx, loc, vw, vh);
          cb.current.onCode(code.data, loc);
        } else if (Date.now() - lastSeen > 800) {
          octx.clearRect(0, 0, vw, vh);
        }
      }
    };

    (async () => {
      if (!navigator.mediaDevices?.getUserMedia) {
        setState('unavailable');
        return;
      }
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          audio: false,
          video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
        });
      } catch (e) {
        const name = (e as DOMException)?.name;
        setState(name === 'NotAllowedError' || name === 'SecurityError' ? 'denied' : 'unavailable');
        return;
      }
      const v = videoRef.current;
      // The screen may have gone (navigation, or a campaign found not running) while the
      // camera was opening: give the camera back.
      if (stopped || !v) {
        stream.getTracks().forEach((tr) => tr.stop());
        return;
      }
      v.srcObject = stream;
      try {
        await v.play();
      } catch {
        /* autoplay with muted should not fail; decoding continues once frames arrive */
      }
      setState('running');
      tick();
    })();

    onHandle?.({
      async capture() {
        const v = videoRef.current;
        const ov = overlayRef.current;
        if (!v || !ov || !v.videoWidth) return null;
        const c = document.createElement('canvas');
        c.width = v.videoWidth;
        c.height = v.videoHeight;
        const ctx = c.getContext('2d')!;
        ctx.drawImage(v, 0, 0);
        ctx.drawImage(ov, 0, 0);
        return await new Promise<Blob | null>((res) => c.toBlob((b) => res(b), 'image/png'));
      },
    });

    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      stream?.getTracks().forEach((tr) => tr.stop());
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <div class="scanner">
      <div class="scanner-view">
        <video ref={videoRef} playsInline muted autoPlay aria-label={label} />
        <canvas ref={overlayRef} class="scanner-overlay" data-testid="ar-overlay" aria-hidden="true" />
        <div class="scanner-aim" aria-hidden="true" />
      </div>
      {state === 'starting' && <p class="hint">{t('scan.camera_starting')}</p>}
      {state === 'denied' && (
        <p class="alert alert-warn" role="status">
          {t('scan.camera_denied')}
        </p>
      )}
      {state === 'unavailable' && (
        <p class="alert alert-warn" role="status">
          {t('scan.camera_unavailable')}
        </p>
      )}
    </div>
  );
}

/** The campaign's AR artwork: a frame on the marker, a mascot above it and a banner below. */
export function drawArtwork(ctx: CanvasRenderingContext2D, loc: Corners, title: string, canvasW = Infinity) {
  const { topLeftCorner: a, topRightCorner: b, bottomRightCorner: c, bottomLeftCorner: d } = loc;
  const side = Math.hypot(b.x - a.x, b.y - a.y);
  const angle = Math.atan2(b.y - a.y, b.x - a.x);
  // Frame on the marker.
  ctx.save();
  ctx.lineJoin = 'round';
  ctx.lineWidth = Math.max(6, side * 0.08);
  ctx.strokeStyle = '#e8a317';
  ctx.fillStyle = 'rgba(200, 60, 40, 0.28)';
  ctx.beginPath();
  ctx.moveTo(a.x, a.y);
  ctx.lineTo(b.x, b.y);
  ctx.lineTo(c.x, c.y);
  ctx.lineTo(d.x, d.y);
  ctx.closePath();
  ctx.fill();
  ctx.stroke();
  ctx.restore();

  // Mascot: a round lantern-like face sitting on the marker's top edge.
  const mx = (a.x + b.x) / 2;
  const my = (a.y + b.y) / 2;
  const r = side * 0.32;
  ctx.save();
  ctx.translate(mx, my);
  ctx.rotate(angle);
  ctx.translate(0, -r * 1.15);
  ctx.fillStyle = '#c8372d';
  ctx.strokeStyle = '#7a1d14';
  ctx.lineWidth = Math.max(2, r * 0.08);
  ctx.beginPath();
  ctx.ellipse(0, 0, r, r * 0.85, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.stroke();
  ctx.fillStyle = '#e8a317';
  ctx.fillRect(-r * 0.5, -r * 1.0, r, r * 0.18);
  ctx.fillRect(-r * 0.5, r * 0.82, r, r * 0.18);
  ctx.fillStyle = '#fff';
  ctx.beginPath();
  ctx.arc(-r * 0.35, -r * 0.1, r * 0.16, 0, Math.PI * 2);
  ctx.arc(r * 0.35, -r * 0.1, r * 0.16, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#222';
  ctx.beginPath();
  ctx.arc(-r * 0.35, -r * 0.08, r * 0.07, 0, Math.PI * 2);
  ctx.arc(r * 0.35, -r * 0.08, r * 0.07, 0, Math.PI * 2);
  ctx.fill();
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = Math.max(2, r * 0.07);
  ctx.beginPath();
  ctx.arc(0, r * 0.2, r * 0.3, 0.15 * Math.PI, 0.85 * Math.PI);
  ctx.stroke();
  ctx.restore();

  // Banner under the marker.
  const bx = (c.x + d.x) / 2;
  const by = (c.y + d.y) / 2;
  ctx.save();
  ctx.translate(bx, by);
  ctx.rotate(angle);
  let fs = Math.max(12, side * 0.14);
  ctx.font = `bold ${fs}px system-ui, "Noto Sans CJK TC", sans-serif`;
  const room = Math.min(canvasW * 0.92, side * 1.6);
  const tw = ctx.measureText(title).width + fs;
  if (tw > room) {
    fs = Math.max(10, (fs * room) / tw);
    ctx.font = `bold ${fs}px system-ui, "Noto Sans CJK TC", sans-serif`;
  }
  const w = Math.max(side, ctx.measureText(title).width + fs);
  ctx.fillStyle = 'rgba(138, 44, 27, 0.9)';
  ctx.fillRect(-w / 2, fs * 0.4, w, fs * 1.6);
  ctx.fillStyle = '#fff';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(title, 0, fs * 1.2);
  ctx.restore();
}
