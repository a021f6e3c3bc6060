import { describe, expect, it } from 'vitest';
import { inspectFlvTag } from '../src/stream/flv-tags.js';

function videoTag(opts: { dts: number; key: boolean; avcType: number; cts: number }): Buffer {
  const body = Buffer.alloc(10);
  body[0] = ((opts.key ? 1 : 2) << 4) | 7;
  body[1] = opts.avcType;
  body.writeIntBE(opts.cts, 2, 3);
  const tag = Buffer.alloc(11 + body.length + 4);
  tag[0] = 9;
  tag.writeUIntBE(body.length, 1, 3);
  tag[4] = (opts.dts >> 16) & 0xff; tag[5] = (opts.dts >> 8) & 0xff; tag[6] = opts.dts & 0xff; tag[7] = (opts.dts >> 24) & 0xff;
  body.copy(tag, 11);
  return tag;
}

describe('FLV tag inspection', () => {
  it('reads dts, composition offset, keyframe and config flags', () => {
    const t = inspectFlvTag(videoTag({ dts: 0x01020304, key: true, avcType: 1, cts: 66 }));
    expect(t).toMatchObject({ type: 9, dts: 0x01020304, pts: 0x01020304 + 66, keyframe: true, isConfig: false });
    expect(inspectFlvTag(videoTag({ dts: 0, key: true, avcType: 0, cts: 0 })).isConfig).toBe(true);
    expect(inspectFlvTag(videoTag({ dts: 1000, key: false, avcType: 1, cts: -33 })).pts).toBe(967);
  });
});

describe('FLV video codec names', () => {
  const tagWith = (body: number[]): Buffer => {
    const tag = Buffer.alloc(11 + Math.max(body.length, 8) + 4);
    tag[0] = 9;
    tag.writeUIntBE(Math.max(body.length, 8), 1, 3);
    Buffer.from(body).copy(tag, 11);
    return tag;
  };
  it('names classic codec ids, enhanced-RTMP FourCCs and unknown ones', () => {
    expect(inspectFlvTag(tagWith([0x17, 1])).codec).toBe('H.264');
    expect(inspectFlvTag(tagWith([0x12, 0])).codec).toBe('Sorenson H.263 (FLV1)');
    expect(inspectFlvTag(tagWith([0x14, 0])).codec).toBe('VP6');
    expect(inspectFlvTag(tagWith([0x1c, 1])).codec).toBe('HEVC');
    expect(inspectFlvTag(tagWith([0x90, ...Buffer.from('hvc1')])).codec).toBe('HEVC');
    expect(inspectFlvTag(tagWith([0x90, ...Buffer.from('av01')])).codec).toBe('AV1');
    expect(inspectFlvTag(tagWith([0x1f, 0])).codec).toBe('unknown (FLV codec id 15)');
    expect(inspectFlvTag(tagWith([0x90, ...Buffer.from('xyz!')])).codec).toBe('unknown (FourCC "xyz!")');
  });
  it('reads a tag too short to have a header without throwing', () => {
    expect(inspectFlvTag(Buffer.from([9, 0, 0]))).toMatchObject({ type: 9, keyframe: false, isConfig: false });
    expect(inspectFlvTag(Buffer.alloc(0)).codec).toBeUndefined();
  });
});
