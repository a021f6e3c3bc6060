import { negotiate, preferH264, videoStats } from './webrtc-client.js';

const q = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const key = q.get('key') ?? '';
$('key').textContent = key;
const state = $('state');
const video = $('video');

const pc = new RTCPeerConnection();
preferH264(pc.addTransceiver('video', { direction: 'recvonly' }));
pc.addTransceiver('audio', { direction: 'recvonly' });
const stream = new MediaStream();
pc.addEventListener('track', (ev) => {
  stream.addTrack(ev.track);
  video.srcObject = stream;
});
pc.addEventListener('connectionstatechange', () => {
  state.textContent = pc.connectionState;
  state.dataset.state = pc.connectionState === 'connected' ? 'running' : pc.connectionState === 'failed' ? 'failed' : 'starting';
});

let sessionUrl;
window.clearcast = { stats: {}, error: undefined, pc };
negotiate(pc, `/whep/${encodeURIComponent(key)}`).then((url) => { sessionUrl = url; }, (err) => {
  state.textContent = `error: ${err.message}`;
  state.dataset.state = 'failed';
  window.clearcast.error = err.message;
});
setInterval(async () => { $('stats').textContent = JSON.stringify(window.clearcast.stats = await videoStats(pc)); }, 500);
// Tell the server at once when the page goes, rather than leaving it to notice the silence.
addEventListener('pagehide', () => { if (sessionUrl) void fetch(sessionUrl, { method: 'DELETE', keepalive: true }); });
