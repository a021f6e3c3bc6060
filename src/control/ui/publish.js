import { endSession, negotiate, preferH264, videoStats } from './webrtc-client.js';

const q = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const state = $('state');
$('key').value = q.get('key') ?? '';
$('token').value = q.get('token') ?? '';
$('source').value = q.get('source') ?? 'pattern';

let pc;
let sessionUrl;
let drawTimer;
let statsTimer;

function setState(text, kind) {
  state.textContent = text;
  state.dataset.state = kind;
}

/**
 * A moving test picture with a solid red box where ?box=x,y,w,h says (source pixels): what a
 * Clearcast region for this key should remove. Drawn on a timer, not requestAnimationFrame, which
 * stops in background tabs and headless browsers.
 */
function testPattern(width, height, fps) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  const box = (q.get('box') ?? '').split(',').map(Number);
  let n = 0;
  const draw = () => {
    const g = ctx.createLinearGradient(0, 0, width, height);
    g.addColorStop(0, '#1d3b6e');
    g.addColorStop(1, '#6ea05a');
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = '#f2f2f2';
    const x = (n * 4) % width;
    ctx.fillRect(x, height - 40, 30, 30);
    ctx.font = '24px sans-serif';
    ctx.fillText(`clearcast ${new Date().toISOString().slice(11, 23)}`, 20, 40);
    if (box.length === 4 && box.every(Number.isFinite)) {
      ctx.fillStyle = '#ff0000';
      ctx.fillRect(box[0], box[1], box[2], box[3]);
    }
    n++;
  };
  draw();
  drawTimer = setInterval(draw, 1000 / fps);
  return canvas.captureStream(fps);
}

async function start(ev) {
  ev?.preventDefault();
  const key = $('key').value;
  const width = Number(q.get('width') ?? 640);
  const height = Number(q.get('height') ?? 360);
  const fps = Number(q.get('fps') ?? 30);
  setState('connecting', 'starting');
  try {
    const stream = $('source').value === 'camera'
      ? await navigator.mediaDevices.getUserMedia({ video: { width, height, frameRate: fps }, audio: true })
      : testPattern(width, height, fps);
    $('preview').srcObject = stream;
    pc = new RTCPeerConnection();
    for (const track of stream.getTracks()) {
      // Resolution is what a configured region is measured in: let the browser drop frames instead.
      if (track.kind === 'video') track.contentHint = 'detail';
      const t = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
      if (track.kind === 'video') {
        preferH264(t);
        const params = t.sender.getParameters();
        params.degradationPreference = 'maintain-resolution';
        await t.sender.setParameters(params).catch(() => {});
      }
    }
    pc.addEventListener('connectionstatechange', () => setState(pc.connectionState, pc.connectionState === 'connected' ? 'running' : pc.connectionState === 'failed' ? 'failed' : 'starting'));
    sessionUrl = await negotiate(pc, `/whip/${encodeURIComponent(key)}`, $('token').value);
    $('start').disabled = true;
    $('stop').disabled = false;
    statsTimer = setInterval(async () => { $('stats').textContent = JSON.stringify(window.clearcast.stats = await videoStats(pc)); }, 1000);
  } catch (err) {
    setState(`error: ${err.message}`, 'failed');
    window.clearcast.error = err.message;
  }
}

async function stop() {
  clearInterval(drawTimer);
  clearInterval(statsTimer);
  await endSession(pc, sessionUrl);
  sessionUrl = undefined;
  setState('stopped', 'closed');
  $('start').disabled = false;
  $('stop').disabled = true;
}

window.clearcast = { stats: {}, error: undefined, stop };
$('form').addEventListener('submit', start);
$('stop').addEventListener('click', stop);
if (q.get('autostart') === '1') void start();
// Tell the server at once when the page goes, rather than leaving it to notice the silence.
addEventListener('pagehide', () => { if (sessionUrl) void fetch(sessionUrl, { method: 'DELETE', keepalive: true }); });
