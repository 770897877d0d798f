// A map of places (check-in points, shops, the visitor) drawn with Leaflet, bundled with the app.
// The tile source comes from the server (`BAIRRO_MAP_TILES`); when tiles cannot load, the
// markers, their popups and every list beside the map keep working. Reusable by any screen.
import 'leaflet/dist/leaflet.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import type * as Leaflet from 'leaflet';
import { getClientConfig } from './api';
import { t } from './i18n';

export interface MapPlace {
  id: string;
  lat: number;
  lng: number;
  /** Shown on hover, read by screen readers, and as the popup's title. */
  label: string;
  kind: 'point' | 'shop' | 'pick';
  /** A second line in the popup (address, category). */
  detail?: string;
  /** Marks the place (e.g. a stamped point, the selected shop). */
  done?: boolean;
}

/** A link that opens the phone's maps app with directions to the place. */
export function directionsUrl(p: { lat: number; lng: number }, label = ''): string {
  const ll = `${p.lat.toFixed(6)},${p.lng.toFixed(6)}`;
  const ua = typeof navigator === 'undefined' ? '' : navigator.userAgent;
  if (/iPhone|iPad|iPod|Macintosh/.test(ua)) return `https://maps.apple.com/?daddr=${ll}&q=${encodeURIComponent(label)}`;
  if (/Android/.test(ua)) return `geo:${ll}?q=${ll}(${encodeURIComponent(label)})`;
  return `https://www.google.com/maps/dir/?api=1&destination=${ll}`;
}

let leaflet: Promise<typeof Leaflet> | null = null;
function loadLeaflet(): Promise<typeof Leaflet> {
  leaflet ??= import('leaflet').then((m) => ((m as unknown as { default?: typeof Leaflet }).default ?? m) as typeof Leaflet);
  return leaflet;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export function PlaceMap({
  places,
  me,
  label,
  height = 320,
  onSelect,
  onPick,
}: {
  places: MapPlace[];
  me?: { lat: number; lng: number } | null;
  /** The map's accessible name. */
  label: string;
  height?: number;
  onSelect?: (id: string) => void;
  /** When given, a tap on the map reports its coordinates (e.g. a location picker). */
  onPick?: (p: { lat: number; lng: number }) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const map = useRef<Leaflet.Map | null>(null);
  const layer = useRef<Leaflet.LayerGroup | null>(null);
  const L = useRef<typeof Leaflet | null>(null);
  const [ready, setReady] = useState(false);
  const [tilesFailed, setTilesFailed] = useState(false);
  const fitted = useRef(false);

  useEffect(() => {
    let gone = false;
    Promise.all([loadLeaflet(), getClientConfig()]).then(([lib, cfg]) => {
      if (gone || !box.current) return;
      L.current = lib;
      const m = lib.map(box.current, { zoomControl: true, attributionControl: true });
      m.setView([22.1533, 113.5561], 16);
      const tiles = lib.tileLayer(cfg.map.tiles, { maxZoom: 19, attribution: cfg.map.attribution });
      let failures = 0;
      tiles.on('tileerror', () => {
        failures += 1;
        if (failures >= 2) setTilesFailed(true);
      });
      tiles.on('tileload', () => setTilesFailed(false));
      tiles.addTo(m);
      layer.current = lib.layerGroup().addTo(m);
      if (onPick) m.on('click', (e: Leaflet.LeafletMouseEvent) => onPick({ lat: e.latlng.lat, lng: e.latlng.lng }));
      map.current = m;
      setReady(true);
    });
    return () => {
      gone = true;
      map.current?.remove();
      map.current = null;
    };
  }, []);

  useEffect(() => {
    const lib = L.current;
    const m = map.current;
    const group = layer.current;
    if (!ready || !lib || !m || !group) return;
    group.clearLayers();
    const bounds: [number, number][] = [];
    for (const p of places) {
      const icon = lib.divIcon({
        className: `map-pin map-pin-${p.kind}${p.done ? ' map-pin-done' : ''}`,
        html: `<span aria-hidden="true">${p.kind === 'point' ? (p.done ? '✓' : '★') : p.kind === 'shop' ? '●' : '✚'}</span>`,
        iconSize: p.kind === 'shop' ? [20, 20] : [30, 30],
        iconAnchor: p.kind === 'shop' ? [10, 10] : [15, 15],
      });
      const marker = lib.marker([p.lat, p.lng], {
        icon,
        title: p.label,
        alt: p.label,
        keyboard: true,
        riseOnHover: true,
        zIndexOffset: p.kind === 'point' ? 1000 : 0,
      });
      const dir = directionsUrl(p, p.label);
      marker.bindPopup(
        `<strong>${escapeHtml(p.label)}</strong>${p.detail ? `<br>${escapeHtml(p.detail)}` : ''}<br><a href="${escapeHtml(dir)}" target="_blank" rel="noopener">${escapeHtml(t('map.directions'))}</a>`,
      );
      marker.on('click', () => onSelect?.(p.id));
      marker.addTo(group);
      marker.getElement()?.setAttribute('data-place', p.id);
      marker.getElement()?.setAttribute('data-kind', p.kind);
      bounds.push([p.lat, p.lng]);
    }
    if (me) {
      const dot = lib.circleMarker([me.lat, me.lng], { radius: 8, color: '#ffffff', weight: 3, fillColor: '#1565c0', fillOpacity: 1 });
      dot.bindTooltip(t('map.you_are_here'));
      dot.addTo(group);
    }
    if (!fitted.current && bounds.length > 0) {
      fitted.current = true;
      if (bounds.length === 1) m.setView(bounds[0], 17);
      else m.fitBounds(bounds, { padding: [24, 24], maxZoom: 18 });
    }
  }, [ready, places, me?.lat, me?.lng]);

  return (
    <div class="place-map-wrap">
      <div ref={box} class="place-map" style={{ height: `${height}px` }} role="region" aria-label={label} data-testid="place-map" />
      {tilesFailed && (
        <p class="muted map-note" role="status">
          {t('map.tiles_failed')}
        </p>
      )}
    </div>
  );
}
