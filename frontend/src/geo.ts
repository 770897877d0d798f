// The visitor's position, only when they allow it.
import { useEffect, useState } from 'preact/hooks';

export interface Pos {
  lat: number;
  lng: number;
  accuracy: number;
}

let last: Pos | null = null;
let watching = false;
const subs = new Set<(p: Pos | null) => void>();

export function lastPosition(): Pos | null {
  return last;
}

export function startWatching() {
  if (watching || !navigator.geolocation) return;
  watching = true;
  navigator.geolocation.watchPosition(
    (p) => {
      last = { lat: p.coords.latitude, lng: p.coords.longitude, accuracy: p.coords.accuracy };
      subs.forEach((f) => f(last));
    },
    () => {
      watching = false;
      subs.forEach((f) => f(last));
    },
    { enableHighAccuracy: true, maximumAge: 30_000, timeout: 20_000 },
  );
}

/** Start watching straight away if permission was already given; otherwise wait for `ask`. */
export function useGeo(autoAsk: boolean): { pos: Pos | null; ask: () => void } {
  const [pos, setPos] = useState<Pos | null>(last);
  useEffect(() => {
    const f = (p: Pos | null) => setPos(p);
    subs.add(f);
    if (autoAsk) startWatching();
    else
      navigator.permissions
        ?.query({ name: 'geolocation' as PermissionName })
        .then((s) => s.state === 'granted' && startWatching())
        .catch(() => {});
    return () => {
      subs.delete(f);
    };
  }, [autoAsk]);
  return { pos, ask: startWatching };
}

/** Best effort: wait briefly for a first fix. */
export async function currentPosition(waitMs = 2500): Promise<Pos | null> {
  if (last) return last;
  if (!navigator.geolocation) return null;
  return await new Promise((res) => {
    const timer = setTimeout(() => res(last), waitMs);
    navigator.geolocation.getCurrentPosition(
      (p) => {
        clearTimeout(timer);
        last = { lat: p.coords.latitude, lng: p.coords.longitude, accuracy: p.coords.accuracy };
        res(last);
      },
      () => {
        clearTimeout(timer);
        res(null);
      },
      { enableHighAccuracy: true, maximumAge: 30_000, timeout: waitMs },
    );
  });
}
