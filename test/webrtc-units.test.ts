import { describe, expect, it } from 'vitest';
import { packetizePicture } from '../src/egress/whep/h264-packetizer.js';
import { AvcFlvMuxer } from '../src/ingest/whip/flv-avc.js';
import { H264Depacketizer, type AccessUnit } from '../src/ingest/whip/h264-depacketizer.js';
import { Vp8Depacketizer, type Vp8Frame } from '../src/ingest/whip/vp8-depacketizer.js';
import { buildAvcConfig, parseAvcConfig, splitAvcc } from '../src/media/avc.js';
import { inspectFlvTag } from '../src/stream/flv-tags.js';
import { announceAddress } from '../src/webrtc/peer.js';

const SPS = Buffer.from([0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01]);
const PPS = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
const idr = (n: number): Buffer => Buffer.concat([Buffer.from([0x65]), Buffer.alloc(n, 7)]);
const slice = (n: number): Buffer => Buffer.concat([Buffer.from([0x41]), Buffer.alloc(n, 9)]);

/** Packetizes pictures the way the WHEP side does and numbers them like an RTP sender. */
function rtp(pictures: { nals: Buffer[]; ts: number }[]): { header: { sequenceNumber: number; timestamp: number; marker: boolean }; payload: Buffer }[] {
  let seq = 65_530; // crosses the 16-bit wrap
  return pictures.flatMap(({ nals, ts }) => {
    const payloads = packetizePicture(nals);
    return payloads.map((payload, i) => ({ header: { sequenceNumber: (seq++) & 0xffff, timestamp: ts, marker: i === payloads.length - 1 }, payload }));
  });
}

describe('H.264 over RTP, both directions', () => {
  it('FU-A packetization and reassembly give back every NAL unit byte for byte', () => {
    const pictures = [{ nals: [SPS, PPS, idr(5000)], ts: 1000 }, { nals: [slice(300)], ts: 4000 }, { nals: [slice(2500)], ts: 7000 }];
    const packets = rtp(pictures);
    expect(packets.every((p) => p.payload.length <= 1100)).toBe(true);
    const units: AccessUnit[] = [];
    const d = new H264Depacketizer((u) => units.push(u), () => { throw new Error('no loss expected'); });
    packets.forEach((p) => d.push(p));
    expect(units.map((u) => u.rtpTimestamp)).toEqual([1000, 4000, 7000]);
    expect(units.map((u) => u.keyframe)).toEqual([true, false, false]);
    units.forEach((u, i) => expect(Buffer.concat(u.nals).equals(Buffer.concat(pictures[i]!.nals))).toBe(true));
  });

  it('a lost packet drops pictures up to the next keyframe and reports the loss', () => {
    const packets = rtp([{ nals: [SPS, PPS, idr(3000)], ts: 0 }, { nals: [slice(3000)], ts: 3000 }, { nals: [slice(100)], ts: 6000 }, { nals: [SPS, PPS, idr(100)], ts: 9000 }]);
    const lost = packets.findIndex((p) => p.header.timestamp === 3000) + 1;
    const units: AccessUnit[] = [];
    let losses = 0;
    const d = new H264Depacketizer((u) => units.push(u), () => losses++);
    packets.forEach((p, i) => { if (i !== lost) d.push(p); });
    expect(losses).toBe(1);
    expect(units.map((u) => u.rtpTimestamp)).toEqual([0, 9000]);
  });

  it('pictures become FLV tags the pipeline reads: sequence header first, keyframes, RTP time in ms across the 32-bit wrap', () => {
    const mux = new AvcFlvMuxer();
    const start = 0xffff_ff00;
    const first = mux.mux({ rtpTimestamp: start, nals: [SPS, PPS, idr(10)], keyframe: true });
    expect(first.map((t) => inspectFlvTag(t.tag))).toMatchObject([{ type: 9, isConfig: true, pts: 0 }, { type: 9, keyframe: true, isConfig: false, pts: 0 }]);
    expect(parseAvcConfig(first[0]!.packet.data.subarray(5))).toEqual({ sps: [SPS], pps: [PPS] });
    expect(splitAvcc(first[1]!.packet.data.subarray(5))).toEqual([idr(10)]);
    const later = mux.mux({ rtpTimestamp: (start + 9000) >>> 0, nals: [slice(10)], keyframe: false });
    expect(later).toHaveLength(1);
    expect(inspectFlvTag(later[0]!.tag)).toMatchObject({ keyframe: false, pts: 100 });
    expect(later[0]!.packet.flags).toBe(4);
  });

  it('an AVC configuration record round-trips', () => {
    expect(parseAvcConfig(buildAvcConfig({ sps: [SPS], pps: [PPS] }))).toEqual({ sps: [SPS], pps: [PPS] });
  });
});

describe('VP8 over RTP', () => {
  // Descriptor with X=1, I=1 and a 15-bit PictureID (M=1): 4 bytes before the VP8 data.
  const packet = (seq: number, ts: number, start: boolean, marker: boolean, data: number[]) => ({
    header: { sequenceNumber: seq, timestamp: ts, marker },
    payload: Buffer.from([0x80 | (start ? 0x10 : 0), 0x80, 0x80 | 0x12, 0x34, ...data]),
  });

  it('joins partitions into frames, strips the descriptor, tells keyframes from inter frames', () => {
    const frames: Vp8Frame[] = [];
    const d = new Vp8Depacketizer((f) => frames.push(f), () => { throw new Error('no loss expected'); });
    d.push(packet(1, 100, true, false, [0x10, 1, 2]));
    d.push(packet(2, 100, false, true, [3, 4]));
    d.push(packet(3, 200, true, true, [0x11, 5]));
    expect(frames.map((f) => [f.rtpTimestamp, f.keyframe, [...f.data]])).toEqual([[100, true, [0x10, 1, 2, 3, 4]], [200, false, [0x11, 5]]]);
  });

  it('after a loss, drops inter frames until a keyframe', () => {
    const frames: Vp8Frame[] = [];
    let losses = 0;
    const d = new Vp8Depacketizer((f) => frames.push(f), () => losses++);
    d.push(packet(1, 100, true, true, [0x10]));
    d.push(packet(3, 200, true, true, [0x11]));
    d.push(packet(4, 300, true, true, [0x10]));
    expect(losses).toBe(1);
    expect(frames.map((f) => f.rtpTimestamp)).toEqual([100, 300]);
  });
});

describe('announced ICE address', () => {
  const sdp = ['v=0', 'a=candidate:1 1 udp 2116026367 127.0.0.1 50000 typ host', 'a=candidate:2 1 udp 2116026367 10.0.0.5 50001 typ host', 'a=candidate:3 1 udp 2116026367 172.17.0.2 50001 typ host'].join('\r\n');

  it('replaces non-loopback host candidates with the announced address, once per port', () => {
    const out = announceAddress(sdp, '203.0.113.10').split('\r\n');
    expect(out).toContain('a=candidate:1 1 udp 2116026367 127.0.0.1 50000 typ host');
    expect(out.filter((l) => l.includes('203.0.113.10'))).toHaveLength(1);
    expect(out.some((l) => l.includes('10.0.0.5') || l.includes('172.17.0.2'))).toBe(false);
  });

  it('leaves the SDP alone without one', () => {
    expect(announceAddress(sdp, undefined)).toBe(sdp);
  });
});
