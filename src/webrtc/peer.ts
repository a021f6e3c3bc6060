import {
  RTCPeerConnection, useAbsSendTime, useH264, useOPUS, useSdesMid, useTransportWideCC, useVP8, type PeerConfig,
} from 'werift';
import { isIP } from 'node:net';
import type { Config } from '../config/schema.js';
import { HttpError } from './http.js';

export type VideoCodecName = 'h264' | 'vp8';

/**
 * The one address ICE sockets bind to and candidates name when server.bind names one (loopback by
 * default): media ports then follow the same rule as every listener. Undefined for a wildcard bind
 * (0.0.0.0, ::) or a host name: every interface, as werift gathers them.
 */
export function iceBindAddress(bind: string): string | undefined {
  if (bind === 'localhost') return '127.0.0.1';
  if (!isIP(bind) || bind === '0.0.0.0' || bind === '::') return undefined;
  return bind;
}

/**
 * The one place werift peers are configured, for WHIP and WHEP alike. Video is H.264
 * (packetization-mode 1, constrained baseline): what our decoder takes as FLV and what our encoder
 * makes, so neither direction needs a transcode; WHIP also takes VP8 (decoded from IVF). Audio is
 * Opus, relayed untouched.
 */
export function createPeer(config: Config, video: readonly VideoCodecName[] = ['h264'], onStunRequest?: () => void): RTCPeerConnection {
  const ice = config.webrtc.ice;
  const peerConfig: Partial<PeerConfig> = {
    codecs: {
      video: video.map((c) => (c === 'h264' ? useH264() : useVP8())),
      audio: [useOPUS()],
    },
    // Without mid, browsers' RTP is not routed to a transceiver under BUNDLE; abs-send-time and
    // transport-cc are what Chromium's congestion control needs to keep sending at full rate.
    headerExtensions: {
      video: [useSdesMid(), useAbsSendTime(), useTransportWideCC()],
      audio: [useSdesMid(), useAbsSendTime()],
    },
    // Host candidates only: no STUN or TURN server is reachable from where Clearcast usually runs,
    // and werift waits for an unreachable one before gathering completes.
    iceServers: [],
    iceAdditionalHostAddresses: [...ice.additionalHostAddresses],
    bundlePolicy: 'max-bundle',
  };
  const bindTo = iceBindAddress(config.server.bind);
  if (bindTo) {
    const v6 = isIP(bindTo) === 6;
    peerConfig.iceInterfaceAddresses = v6 ? { udp6: bindTo } : { udp4: bindTo };
    peerConfig.iceUseIpv4 = !v6;
    peerConfig.iceUseIpv6 = v6;
    peerConfig.iceAdditionalHostAddresses = [bindTo];
  }
  // ICE consent checks keep arriving from a live peer that has no media to send or report on.
  if (onStunRequest) {
    peerConfig.iceFilterStunResponse = () => {
      onStunRequest();
      return true;
    };
  }
  if (ice.portRange) peerConfig.icePortRange = [ice.portRange[0], ice.portRange[1]];
  return new RTCPeerConnection(peerConfig);
}

/** Candidate lines of an SDP: `a=candidate:<foundation> <component> <proto> <priority> <address> <port> ...`. */
const CANDIDATE = /^(a=candidate:\S+ \d+ \S+ \d+ )(\S+)( \d+ typ host.*)$/;

/**
 * Our candidates as a NATed client must dial them: the announced address, same ports. Loopback
 * candidates stay, so local tools keep working.
 */
export function announceAddress(sdp: string, announcedIp: string | undefined): string {
  if (!announcedIp) return sdp;
  const seen = new Set<string>();
  return sdp.split('\r\n').flatMap((line) => {
    const m = CANDIDATE.exec(line);
    if (!m || m[2] === '127.0.0.1' || m[2] === '::1') return [line];
    // Several interfaces may get the same port number: one candidate per announced port is enough.
    const port = m[3]!.trim().split(' ')[0]!;
    if (seen.has(port)) return [];
    seen.add(port);
    return [`${m[1]}${announcedIp}${m[3]}`];
  }).join('\r\n');
}

/**
 * Only the host candidates on `address`. werift gathers every interface's address even when its
 * sockets are bound to one (e.g. loopback): the others would name ports nothing listens on.
 */
export function onlyCandidatesOn(sdp: string, address: string): string {
  return sdp.split('\r\n').filter((line) => {
    const m = CANDIDATE.exec(line);
    return !m || m[2] === address;
  }).join('\r\n');
}

/**
 * Offer in, complete answer out (no trickle: WHIP/WHEP clients get every candidate in the 201).
 * `afterOffer` runs once the offer is applied (set directions). An offer we can't serve closes the
 * peer and becomes a 400 for the client.
 */
export async function answerOffer(pc: RTCPeerConnection, offerSdp: string, config: Config, afterOffer?: () => void): Promise<string> {
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    afterOffer?.();
    if (!pc.getTransceivers().some((t) => t.kind === 'video' && t.codecs.length)) {
      throw new HttpError(400, 'the offer has no video codec we take: H.264 (packetization-mode 1), or VP8 for WHIP');
    }
    await pc.setLocalDescription(await pc.createAnswer());
    if (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.watch((state) => state === 'complete');
    const bindTo = iceBindAddress(config.server.bind);
    const sdp = bindTo ? onlyCandidatesOn(pc.localDescription!.sdp, bindTo) : pc.localDescription!.sdp;
    return announceAddress(sdp, config.webrtc.ice.announcedIp);
  } catch (err) {
    await pc.close();
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, `cannot answer the offer: ${(err as Error).message}`);
  }
}
