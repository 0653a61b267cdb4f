// The browser's phone: the microphone, the one RTCPeerConnection to the server (audio only,
// G.711 preferred, Opus when asked), where the call's audio and the ringtone play, and the
// level meters. The Rust app (src/media.rs) calls these; the signalling goes through its
// socket module, so this file knows no wire format.

let pc = null;
let stream = null;
let analyser = null;
const remote = new Audio();
remote.autoplay = true;
let ringer = null;
let ringTimer = null;

function constraints(mic) {
  // Echo cancellation and noise suppression on by default (headsets at home); a test page
  // may turn them off to keep a steady tone.
  const plain = window.switchboardPlainAudio === true;
  return {
    audio: {
      deviceId: mic ? { exact: mic } : undefined,
      echoCancellation: !plain, noiseSuppression: !plain, autoGainControl: !plain,
    },
  };
}

export async function createOffer(mic, opus, restart) {
  if (!pc) {
    stream = await navigator.mediaDevices.getUserMedia(constraints(mic));
    pc = new RTCPeerConnection();
    const [track] = stream.getAudioTracks();
    const tr = pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
    const all = RTCRtpReceiver.getCapabilities('audio').codecs;
    const g711 = all.filter((c) => /^audio\/(PCMU|PCMA)$/i.test(c.mimeType));
    const op = all.filter((c) => /^audio\/opus$/i.test(c.mimeType));
    tr.setCodecPreferences(opus ? [...op, ...g711] : g711);
    pc.ontrack = (e) => {
      remote.srcObject = e.streams[0] || new MediaStream([e.track]);
      remote.play().catch(() => {});
    };
    const ctx = new AudioContext();
    analyser = ctx.createAnalyser();
    ctx.createMediaStreamSource(stream).connect(analyser);
  }
  const offer = await pc.createOffer({ iceRestart: restart });
  await pc.setLocalDescription(offer);
  // ICE-lite server, host candidates only: no trickle; wait for gathering to finish.
  await new Promise((ok) => {
    if (pc.iceGatheringState === 'complete') return ok();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && ok();
    setTimeout(ok, 2000);
  });
  return pc.localDescription.sdp;
}

export async function applyAnswer(sdp) {
  await pc.setRemoteDescription({ type: 'answer', sdp });
}

// A new page (reload) or a new device: start from scratch.
export function close() {
  if (pc) pc.close();
  if (stream) stream.getTracks().forEach((t) => t.stop());
  pc = null; stream = null; analyser = null;
}

export function connectionState() {
  return pc ? pc.iceConnectionState : 'new';
}

// The microphone's level now, 0-1 (for the meter and the microphone test).
export function micLevel() {
  if (!analyser) return 0;
  const data = new Float32Array(analyser.fftSize);
  analyser.getFloatTimeDomainData(data);
  let peak = 0;
  for (const v of data) peak = Math.max(peak, Math.abs(v));
  return peak;
}

// Audio devices as JSON: [{kind: "audioinput"|"audiooutput", id, label}].
export async function devices() {
  const list = await navigator.mediaDevices.enumerateDevices();
  return JSON.stringify(list.filter((d) => d.kind !== 'videoinput')
    .map((d) => ({ kind: d.kind, id: d.deviceId, label: d.label || d.kind })));
}

export async function setHeadset(id) {
  if (remote.setSinkId) await remote.setSinkId(id || '');
}

// The ringtone: two short tones every 3 s, on its own output (e.g. the speakers).
export async function ring(on, output) {
  if (!on) {
    clearInterval(ringTimer); ringTimer = null;
    if (ringer) { ringer.close(); ringer = null; }
    return;
  }
  if (ringer) return;
  ringer = new AudioContext();
  if (output && ringer.setSinkId) { try { await ringer.setSinkId(output); } catch (_) {} }
  const burst = () => {
    if (!ringer) return;
    const t = ringer.currentTime;
    for (const [start, f] of [[0, 440], [0.5, 480]]) {
      const o = ringer.createOscillator(); const g = ringer.createGain();
      o.frequency.value = f; g.gain.value = 0.15;
      o.connect(g).connect(ringer.destination);
      o.start(t + start); o.stop(t + start + 0.4);
    }
  };
  burst();
  ringTimer = setInterval(burst, 3000);
}

export function ringing() {
  return ringer !== null;
}

// What tests and the quality panel read: {packetsReceived, totalAudioEnergy, packetsSent}.
export async function stats() {
  const out = { packetsReceived: 0, totalAudioEnergy: 0, packetsSent: 0 };
  if (!pc) return JSON.stringify(out);
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') {
      out.packetsReceived = s.packetsReceived; out.totalAudioEnergy = s.totalAudioEnergy || 0;
    }
    if (s.type === 'outbound-rtp' && s.kind === 'audio') out.packetsSent = s.packetsSent;
  });
  return JSON.stringify(out);
}
window.switchboardStats = stats;
