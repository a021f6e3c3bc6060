// Clearcast dashboard: one WebSocket to /control (protocol in docs/control.md), one card per stream.
'use strict';

const V = 1;
/** A running stream with no output frames for this long is stalled. */
const STALL_AFTER_MS = 3000;
/**
 * Median added latency above this means the stream falls behind. Not p99: the recent window still
 * holds x264's start-up second for a while after every (re)publish.
 */
const BEHIND_P50_MS = 500;
const MIN_DRAG_PX = 8;

const token = new URLSearchParams(location.search).get('token');
const cards = new Map(); // key -> card
let ws;
let role = 'read';
let nextId = 1;

const $ = (sel, root = document) => root.querySelector(sel);

function send(msg) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ v: V, id: nextId++, ...msg }));
}

function connect() {
  const url = new URL('/control', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  if (token) url.searchParams.set('token', token);
  ws = new WebSocket(url);
  setConn('connecting');
  ws.onopen = () => setConn('open');
  ws.onclose = () => {
    setConn('closed');
    // The server restarting is routine: reconnect and resubscribe.
    setTimeout(connect, 1500);
  };
  ws.onmessage = (ev) => onMessage(JSON.parse(ev.data));
}

function setConn(state) {
  const el = $('#conn');
  el.dataset.state = state;
  el.textContent = state === 'open' ? 'connected' : state;
}

function onMessage(msg) {
  switch (msg.type) {
    case 'welcome':
      role = msg.role;
      document.body.classList.toggle('read-only', role !== 'admin');
      $('#role').textContent = role === 'admin' ? 'admin' : 'read-only';
      $('#publish-url').textContent = msg.urls.publish;
      window.clearcastUrls = msg.urls;
      syncStreams(msg.streams);
      break;
    case 'streams':
      syncStreams(msg.streams);
      break;
    case 'stats':
      cards.get(msg.key)?.onStats(msg);
      break;
    case 'thumbnail':
      cards.get(msg.key)?.onThumbnail(msg);
      break;
    case 'state':
      cards.get(msg.key)?.setState(msg.state);
      break;
    case 'ack':
      if (msg.state) cards.get(msg.key)?.setState(msg.state);
      break;
    case 'error':
      showAlert(`control: ${msg.error}`, 'warn', 8000);
      break;
  }
}

function syncStreams(streams) {
  const keys = new Set(streams.map((s) => s.key));
  for (const [key, card] of cards) {
    if (!keys.has(key)) {
      card.destroy();
      cards.delete(key);
    }
  }
  for (const s of streams) {
    if (!cards.has(s.key)) cards.set(s.key, new StreamCard(s));
    cards.get(s.key).setStreamState(s.state);
  }
  $('#empty').hidden = cards.size > 0;
  if (cards.size > 0) {
    for (const key of keys) send({ type: 'subscribe', key, thumbnails: true });
  }
}

/** One stream: before/after pictures with its regions, toggles, numbers, charts, alerts. */
class StreamCard {
  constructor(stats) {
    this.key = stats.key;
    this.size = { width: stats.width || 1280, height: stats.height || 720 };
    this.state = { regions: [], bypass: false, settings: {} };
    this.lastStats = undefined;
    this.lastOutputAt = performance.now();
    this.el = $('#stream-card').content.firstElementChild.cloneNode(true);
    this.el.dataset.key = this.key;
    $('.key', this.el).textContent = this.key;
    $('#streams').appendChild(this.el);
    this.charts = new StreamCharts($('.charts', this.el));
    $('.bypass', this.el).onclick = () => send({ type: 'bypass', key: this.key, on: !this.state.bypass });
    const urls = window.clearcastUrls;
    if (urls) $('.watch', this.el).textContent = `Watch: ${urls.watchFlv.replace('<key>', this.key)}`;
    this.enableDrawing($('.before .overlay', this.el));
  }

  setStreamState(state) {
    const b = $('.state', this.el);
    b.textContent = state;
    b.dataset.state = state;
  }

  setState(state) {
    this.state = state;
    const bypass = $('.bypass', this.el);
    bypass.textContent = state.bypass ? 'Bypassed: turn filter on' : 'Bypass filter';
    bypass.setAttribute('aria-pressed', String(state.bypass));
    this.drawRegions();
  }

  drawRegions() {
    const { width, height } = this.size;
    for (const overlay of this.el.querySelectorAll('.overlay')) {
      overlay.querySelectorAll('.region').forEach((n) => n.remove());
      for (const r of this.state.regions) {
        const box = document.createElement('div');
        box.className = `region ${r.kind === 'exclusion' ? 'exclusion' : ''}`;
        box.dataset.regionId = r.id;
        box.dataset.enabled = String(r.enabled);
        box.style.left = `${(r.rect.x / width) * 100}%`;
        box.style.top = `${(r.rect.y / height) * 100}%`;
        box.style.width = `${(r.rect.width / width) * 100}%`;
        box.style.height = `${(r.rect.height / height) * 100}%`;
        const blend = r.blend ? `, alpha ${Math.round(r.blend.alpha * 100)}% ${r.blend.colour}` : '';
        box.title = `${r.id} (${r.kind}, ${r.source}${r.confidence !== undefined ? `, ${Math.round(r.confidence * 100)}%` : ''}${blend}): click to ${r.enabled ? 'disable' : 'enable'}`;
        const label = document.createElement('span');
        label.className = 'label';
        label.textContent = r.id;
        box.appendChild(label);
        box.addEventListener('pointerdown', (ev) => ev.stopPropagation());
        box.addEventListener('click', () => this.toggle(r));
        overlay.appendChild(box);
      }
    }
    const list = $('.regions', this.el);
    list.replaceChildren(...this.state.regions.map((r) => {
      const li = document.createElement('li');
      const t = document.createElement('button');
      t.type = 'button';
      t.className = 'region-toggle';
      t.dataset.regionId = r.id;
      t.setAttribute('aria-pressed', String(r.enabled));
      t.textContent = `${r.kind === 'exclusion' ? 'zone' : r.kind} ${r.id}`;
      t.disabled = role !== 'admin';
      t.onclick = () => this.toggle(r);
      li.appendChild(t);
      if (r.source === 'control' && role === 'admin') {
        const rm = document.createElement('button');
        rm.type = 'button';
        rm.className = 'region-remove';
        rm.textContent = '×';
        rm.title = `remove ${r.id}`;
        rm.onclick = () => send({ type: 'region.remove', key: this.key, regionId: r.id });
        li.appendChild(rm);
      }
      return li;
    }));
  }

  toggle(r) {
    if (role === 'admin') send({ type: 'region.enable', key: this.key, regionId: r.id, enabled: !r.enabled });
  }

  /** Drag on the input picture to add a region (or exclusion zone) in source pixels. */
  enableDrawing(overlay) {
    let start;
    let rubber;
    const toSource = (ev) => {
      const b = overlay.getBoundingClientRect();
      const fx = Math.min(1, Math.max(0, (ev.clientX - b.left) / b.width));
      const fy = Math.min(1, Math.max(0, (ev.clientY - b.top) / b.height));
      return { px: ev.clientX - b.left, py: ev.clientY - b.top, x: fx * this.size.width, y: fy * this.size.height };
    };
    overlay.addEventListener('pointerdown', (ev) => {
      if (role !== 'admin') return;
      start = toSource(ev);
      rubber = document.createElement('div');
      rubber.className = 'rubber';
      overlay.appendChild(rubber);
      overlay.setPointerCapture(ev.pointerId);
    });
    overlay.addEventListener('pointermove', (ev) => {
      if (!start) return;
      const p = toSource(ev);
      Object.assign(rubber.style, {
        left: `${Math.min(start.px, p.px)}px`, top: `${Math.min(start.py, p.py)}px`,
        width: `${Math.abs(p.px - start.px)}px`, height: `${Math.abs(p.py - start.py)}px`,
      });
    });
    overlay.addEventListener('pointerup', (ev) => {
      if (!start) return;
      const p = toSource(ev);
      const s = start;
      start = undefined;
      rubber.remove();
      if (Math.abs(p.px - s.px) < MIN_DRAG_PX || Math.abs(p.py - s.py) < MIN_DRAG_PX) return;
      // Even coordinates: a yuv420p chroma sample covers 2x2 luma pixels.
      const even = (v) => Math.max(0, Math.round(v / 2) * 2);
      const x = even(Math.min(s.x, p.x));
      const y = even(Math.min(s.y, p.y));
      const rect = { x, y, width: Math.max(2, even(Math.abs(p.x - s.x))), height: Math.max(2, even(Math.abs(p.y - s.y))) };
      send({ type: 'region.add', key: this.key, rect, exclusion: $('#draw-kind').value === 'exclusion' });
    });
  }

  onThumbnail(msg) {
    if (msg.width !== this.size.width || msg.height !== this.size.height) {
      this.size = { width: msg.width, height: msg.height };
      for (const v of this.el.querySelectorAll('.view')) v.style.aspectRatio = `${msg.width} / ${msg.height}`;
      this.drawRegions();
    }
    $('.before img', this.el).src = msg.before;
    $('.after img', this.el).src = msg.after;
  }

  onStats({ stats, at, cpuPercent }) {
    const prev = this.lastStats;
    const dt = prev ? (at - prev.at) / 1000 : 0;
    const rate = (f) => (prev && dt > 0 ? Math.max(0, (f(stats) - f(prev.stats)) / dt) : 0);
    if (!prev || stats.framesEncoded > prev.stats.framesEncoded) this.lastOutputAt = performance.now();
    this.lastStats = { stats, at };
    if (stats.width && (stats.width !== this.size.width || stats.height !== this.size.height) && !$('.before img', this.el).src) {
      this.size = { width: stats.width, height: stats.height };
      this.drawRegions();
    }
    this.setStreamState(stats.state);
    const droppedPerS = rate((s) => s.dropped);
    this.charts.push(at / 1000, [
      [stats.fpsIn, stats.fpsOut],
      [stats.addedLatencyMs.p50, stats.addedLatencyMs.p99, stats.filterMs.p99],
      [droppedPerS, rate((s) => s.degraded), cpuPercent],
    ]);
    $('.numbers', this.el).innerHTML = [
      ['fps', `${stats.fpsIn} → ${stats.fpsOut}`],
      ['latency p50/p99', `${stats.addedLatencyMs.p50}/${stats.addedLatencyMs.p99} ms`],
      ['filter p99', `${stats.filterMs.p99} ms`],
      ['dropped', stats.dropped], ['degraded', stats.degraded], ['errors', stats.filterErrors],
      ['unfiltered', stats.failOpen?.frames ?? 0],
      ['CPU', `${cpuPercent}%`], ['size', `${stats.width}×${stats.height}`],
    ].map(([k, v]) => `<span>${k} <b>${v}</b></span>`).join('');
    this.checkAlerts(stats, droppedPerS, rate((s) => s.filterErrors));
  }

  checkAlerts(stats, droppedPerS, errorsPerS) {
    let alert;
    const failOpen = stats.failOpen;
    if (stats.state === 'failed') alert = ['failed', `stream ${this.key} failed: ${stats.endReason ?? ''}`];
    else if (stats.state === 'running' && performance.now() - this.lastOutputAt > STALL_AFTER_MS) alert = ['stalled', `stream ${this.key} stalled: no output for ${Math.round((performance.now() - this.lastOutputAt) / 1000)} s`];
    else if (failOpen?.active) alert = ['unfiltered', `stream ${this.key} is going out UNFILTERED: the filter ${failOpen.reason === 'timeout' ? 'stopped answering' : 'cannot keep up'} (taken out ${failOpen.trips}×, ${failOpen.frames} frames unfiltered); it is retried automatically`];
    else if (errorsPerS > 0) alert = ['filter errors', `stream ${this.key}: the filter is failing (${errorsPerS.toFixed(1)} errors/s); those frames go out unfiltered`];
    else if (stats.addedLatencyMs.p50 > BEHIND_P50_MS || droppedPerS > 0) alert = ['behind', `stream ${this.key} is falling behind: p50 ${stats.addedLatencyMs.p50} ms, ${droppedPerS.toFixed(1)} dropped/s`];
    const badge = $('.alert-badge', this.el);
    badge.hidden = !alert;
    if (alert) {
      badge.textContent = alert[0];
      showAlert(alert[1], alert[0] === 'behind' ? 'warn' : 'bad', 4000, `stream-${this.key}`);
    }
  }

  destroy() {
    this.charts.destroy();
    this.el.remove();
  }
}

const alertTimers = new Map();
/** A banner that disappears `ms` after it was last raised; `tag` keeps one per subject. */
function showAlert(text, level, ms, tag = text) {
  let li = document.querySelector(`#alerts li[data-tag="${CSS.escape(tag)}"]`);
  if (!li) {
    li = document.createElement('li');
    li.dataset.tag = tag;
    $('#alerts').appendChild(li);
  }
  li.className = level;
  li.textContent = text;
  clearTimeout(alertTimers.get(tag));
  alertTimers.set(tag, setTimeout(() => { li.remove(); alertTimers.delete(tag); }, ms));
}

connect();
