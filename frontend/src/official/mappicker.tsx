// A map to place a point or a shop: click (or tap) to set the location, existing places shown as
// dots. Leaflet is bundled and loaded only when the map is opened; the tile URL comes from
// `VITE_MAP_TILE_URL` at build time (none by default). Without tiles (offline, blocked) the map still works: the
// dots, the click and the typed coordinates do not need them.
import { useEffect, useRef, useState } from 'preact/hooks';
import 'leaflet/dist/leaflet.css';
import { t } from '../i18n';

// No URL configured: no background at all (and no requests to a tile server).
const TILE_URL: string = (import.meta.env.VITE_MAP_TILE_URL as string | undefined) || '';
const TILE_ATTRIBUTION = '© OpenStreetMap';

export interface MapDot {
  lat: number;
  lng: number;
  label: string;
}

export function MapPicker({ lat, lng, onPick, dots = [], id }: { lat: number; lng: number; onPick: (lat: number, lng: number) => void; dots?: MapDot[]; id: string }) {
  const box = useRef<HTMLDivElement>(null);
  const map = useRef<import('leaflet').Map | null>(null);
  const marker = useRef<import('leaflet').CircleMarker | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  const [tilesFailed, setTilesFailed] = useState(false);

  useEffect(() => {
    let gone = false;
    import('leaflet').then((L) => {
      if (gone || !box.current) return;
      const start: [number, number] = [isFinite(lat) ? lat : 22.1987, isFinite(lng) ? lng : 113.5439];
      const m = L.map(box.current, { center: start, zoom: 16, attributionControl: true });
      if (TILE_URL) {
        const tiles = L.tileLayer(TILE_URL, { maxZoom: 19, attribution: TILE_ATTRIBUTION });
        tiles.on('tileerror', () => setTilesFailed(true));
        tiles.addTo(m);
      } else {
        setTilesFailed(true);
      }
      for (const d of dots) {
        L.circleMarker([d.lat, d.lng], { radius: 6, color: '#1f6f8b', weight: 2, fillOpacity: 0.6 }).bindTooltip(d.label).addTo(m);
      }
      marker.current = L.circleMarker(start, { radius: 9, color: '#8a2c1b', weight: 3, fillOpacity: 0.8 }).addTo(m);
      m.on('click', (e: import('leaflet').LeafletMouseEvent) => {
        const la = Math.round(e.latlng.lat * 1e6) / 1e6;
        const ln = Math.round(e.latlng.lng * 1e6) / 1e6;
        marker.current?.setLatLng([la, ln]);
        pick.current(la, ln);
      });
      map.current = m;
    });
    return () => {
      gone = true;
      map.current?.remove();
      map.current = null;
    };
    // The map is made once; later coordinates move the marker (below).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Typed coordinates move the marker and the view.
  useEffect(() => {
    if (!map.current || !marker.current || !isFinite(lat) || !isFinite(lng)) return;
    marker.current.setLatLng([lat, lng]);
    if (!map.current.getBounds().contains([lat, lng])) map.current.panTo([lat, lng]);
  }, [lat, lng]);

  return (
    <figure class="map-picker">
      <div ref={box} class="map-box" id={id} data-testid="map-picker" role="application" aria-label={t('map.label')} />
      <figcaption class="muted">
        {t('map.hint')}
        {tilesFailed && <> {t('map.no_tiles')}</>}
      </figcaption>
    </figure>
  );
}
