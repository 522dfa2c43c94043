// Talking out loud on the page: push-to-talk (hold the button or the space bar) or hands-free.
// The microphone is read with an AudioWorklet; each utterance goes to /api/voice as a 16 kHz
// WAV; her voice comes back as PCM16 chunks played as they arrive. When you start talking
// while she speaks, she stops (barge-in) and only what you heard of her reply is kept.

const $ = (id) => document.getElementById(id);
const TARGET_RATE = 16000;
const FRAME_MS = 20;
const START_MS = 120; // this much loud speech starts an utterance (hands-free)
const END_MS = 700; // this much quiet ends it
const PREROLL_MS = 300; // kept from before the start, so the first word is whole
const MAX_UTTERANCE_S = 30;

const voice = {
  socket: null,
  context: null,
  stream: null,
  capture: null,
  mode: "off", // off | push | hands-free
  state: "off",
  holding: false,
  // capture
  frames: [], // Float32Array frames of the utterance being recorded
  preroll: [],
  speaking: false,
  loudMs: 0,
  quietMs: 0,
  noise: 0.004,
  pending: new Float32Array(0),
  // playback
  rate: 22050,
  nextTime: 0,
  sources: [],
  scheduled: 0, // samples of her reply handed to the speakers
  startedAt: null, // context time her reply started playing
  reported: 0,
  reportTimer: null,
};

function setState(name) {
  voice.state = name;
  const labels = {
    off: "Voice off",
    connecting: "Connecting…",
    listening: voice.mode === "push" ? "Hold to talk" : "Listening…",
    recording: "Listening…",
    thinking: "Thinking…",
    speaking: "Speaking…",
  };
  $("voice-state").textContent = labels[name] || name;
  $("voice").dataset.state = name;
}

function caption(who, text) {
  const line = $("voice-caption");
  line.textContent = who ? `${who}: ${text}` : text;
}

// --- the socket ------------------------------------------------------------------------------

function connect() {
  return new Promise((resolve, reject) => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/api/voice`);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: "hello", conversation_id: document.body.dataset.conversation }));
      resolve(socket);
    };
    socket.onerror = () => reject(new Error("the voice connection failed"));
    socket.onclose = () => {
      if (voice.socket === socket) {
        voice.socket = null;
        if (voice.mode !== "off") stop();
      }
    };
    socket.onmessage = (event) => onMessage(event.data);
  });
}

function onMessage(data) {
  if (data instanceof ArrayBuffer) {
    play(data);
    return;
  }
  const frame = JSON.parse(data);
  if (frame.type === "state") {
    if (frame.state === "listening" && voice.sources.length) return; // she is still talking
    setState(frame.state === "listening" && voice.holding ? "recording" : frame.state);
  } else if (frame.type === "heard") {
    caption("You", frame.text);
  } else if (frame.type === "say") {
    caption($("companion-name").textContent || "She", frame.text);
  } else if (frame.type === "problem" || frame.type === "notice" || frame.type === "error") {
    caption("", frame.text || frame.message);
  } else if (frame.type === "audio") {
    voice.rate = frame.sample_rate;
    voice.scheduled = 0;
    voice.reported = 0;
    voice.startedAt = null;
  } else if (frame.type === "reply") {
    $("voice").dataset.lastReply = frame.message.content;
    $("voice").dataset.interrupted = String(frame.interrupted);
  }
}

// --- her voice -----------------------------------------------------------------------------

function play(buffer) {
  const pcm = new Int16Array(buffer);
  if (!pcm.length || !voice.context) return;
  const audio = voice.context.createBuffer(1, pcm.length, voice.rate);
  const channel = audio.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) channel[i] = pcm[i] / 32768;
  const source = voice.context.createBufferSource();
  source.buffer = audio;
  source.connect(voice.context.destination);
  const now = voice.context.currentTime;
  const at = Math.max(now + 0.02, voice.nextTime);
  if (voice.startedAt === null) voice.startedAt = at - voice.scheduled / voice.rate;
  source.start(at);
  voice.nextTime = at + audio.duration;
  voice.scheduled += pcm.length;
  voice.sources.push(source);
  source.onended = () => {
    voice.sources = voice.sources.filter((s) => s !== source);
    if (!voice.sources.length) {
      report();
      if (voice.state === "speaking") setState(voice.holding ? "recording" : "listening");
    }
  };
  setState("speaking");
  if (!voice.reportTimer) voice.reportTimer = setInterval(report, 250);
}

function playedSamples() {
  if (voice.startedAt === null || !voice.context) return 0;
  const heard = Math.floor((voice.context.currentTime - voice.startedAt) * voice.rate);
  return Math.max(0, Math.min(voice.scheduled, heard));
}

function report() {
  const samples = voice.sources.length ? playedSamples() : voice.scheduled;
  if (samples > voice.reported && voice.socket) {
    voice.reported = samples;
    voice.socket.send(JSON.stringify({ type: "played", samples }));
  }
  if (!voice.sources.length && voice.reportTimer) {
    clearInterval(voice.reportTimer);
    voice.reportTimer = null;
  }
}

function bargeIn() {
  if (!voice.sources.length) return;
  const samples = playedSamples();
  for (const source of voice.sources) {
    source.onended = null;
    source.stop();
  }
  voice.sources = [];
  voice.nextTime = 0;
  voice.reported = samples;
  if (voice.socket) voice.socket.send(JSON.stringify({ type: "barge_in", samples }));
  caption("", "(you started talking; she stopped)");
}

// --- your voice ------------------------------------------------------------------------------

function onSamples(block) {
  if (!voice.context || voice.mode === "off") return;
  // Re-block into 20 ms frames at the context's rate.
  const joined = new Float32Array(voice.pending.length + block.length);
  joined.set(voice.pending);
  joined.set(block, voice.pending.length);
  const size = Math.round((voice.context.sampleRate * FRAME_MS) / 1000);
  let at = 0;
  for (; at + size <= joined.length; at += size) onFrame(joined.slice(at, at + size));
  voice.pending = joined.slice(at);
}

function onFrame(frame) {
  let sum = 0;
  for (const x of frame) sum += x * x;
  const rms = Math.sqrt(sum / frame.length);
  const loud = rms > Math.max(0.015, voice.noise * 3);
  if (!loud && !voice.speaking) voice.noise = voice.noise * 0.95 + rms * 0.05;

  if (voice.mode === "push") {
    if (voice.holding) voice.frames.push(frame);
    return;
  }
  if (!voice.speaking) {
    voice.preroll.push(frame);
    if (voice.preroll.length > PREROLL_MS / FRAME_MS) voice.preroll.shift();
    voice.loudMs = loud ? voice.loudMs + FRAME_MS : 0;
    if (voice.loudMs >= START_MS) {
      voice.speaking = true;
      voice.quietMs = 0;
      voice.frames = [...voice.preroll];
      voice.preroll = [];
      bargeIn();
      setState("recording");
    }
    return;
  }
  voice.frames.push(frame);
  voice.quietMs = loud ? 0 : voice.quietMs + FRAME_MS;
  if (voice.quietMs >= END_MS || voice.frames.length * FRAME_MS >= MAX_UTTERANCE_S * 1000) {
    voice.speaking = false;
    voice.loudMs = 0;
    sendUtterance();
  }
}

function sendUtterance() {
  const frames = voice.frames;
  voice.frames = [];
  if (!frames.length || !voice.socket) return;
  const total = frames.reduce((n, f) => n + f.length, 0);
  const joined = new Float32Array(total);
  let at = 0;
  for (const f of frames) {
    joined.set(f, at);
    at += f.length;
  }
  voice.socket.send(wav(downsample(joined, voice.context.sampleRate)));
  setState("thinking");
}

function downsample(samples, rate) {
  if (rate === TARGET_RATE) return samples;
  const ratio = rate / TARGET_RATE;
  const out = new Float32Array(Math.floor(samples.length / ratio));
  for (let i = 0; i < out.length; i++) {
    // Average the samples each output sample stands for: a simple low-pass against aliasing.
    const from = Math.floor(i * ratio);
    const to = Math.min(samples.length, Math.floor((i + 1) * ratio));
    let sum = 0;
    for (let j = from; j < to; j++) sum += samples[j];
    out[i] = sum / Math.max(1, to - from);
  }
  return out;
}

function wav(samples) {
  const bytes = new ArrayBuffer(44 + samples.length * 2);
  const view = new DataView(bytes);
  const text = (at, s) => [...s].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
  text(0, "RIFF");
  view.setUint32(4, 36 + samples.length * 2, true);
  text(8, "WAVEfmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, TARGET_RATE, true);
  view.setUint32(28, TARGET_RATE * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    view.setInt16(44 + i * 2, Math.max(-1, Math.min(1, samples[i])) * 32767, true);
  }
  return bytes;
}

// --- on and off --------------------------------------------------------------------------------

async function start(mode) {
  if (voice.mode !== "off") stop();
  voice.mode = mode;
  setState("connecting");
  try {
    voice.stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, channelCount: 1 },
    });
    voice.context = new AudioContext();
    await voice.context.audioWorklet.addModule("/static/voice-worklet.js");
    const capture = new AudioWorkletNode(voice.context, "os1-capture");
    capture.port.onmessage = (event) => onSamples(event.data);
    voice.capture = capture;
    voice.context.createMediaStreamSource(voice.stream).connect(capture);
    voice.socket = await connect();
  } catch (error) {
    stop();
    caption("", error.name === "NotAllowedError" || error.name === "NotFoundError"
      ? "No microphone: allow one in the browser, or type instead."
      : `Voice is not available: ${error.message}`);
    return;
  }
  $("voice-push").hidden = mode !== "push";
  $("voice-hands-free").setAttribute("aria-pressed", String(mode === "hands-free"));
}

function stop() {
  bargeIn();
  voice.mode = "off";
  voice.speaking = voice.holding = false;
  voice.frames = [];
  if (voice.socket) voice.socket.close();
  voice.socket = null;
  if (voice.capture) voice.capture.port.onmessage = null;
  voice.capture = null;
  if (voice.stream) voice.stream.getTracks().forEach((t) => t.stop());
  if (voice.context) voice.context.close();
  voice.stream = voice.context = null;
  $("voice-push").hidden = true;
  $("voice-hands-free").setAttribute("aria-pressed", "false");
  setState("off");
}

function hold(on) {
  if (voice.mode !== "push" || voice.holding === on) return;
  voice.holding = on;
  if (on) {
    bargeIn();
    voice.frames = [];
    setState("recording");
  } else {
    sendUtterance();
  }
}

$("voice-talk").addEventListener("click", () => (voice.mode === "push" ? stop() : start("push")));
$("voice-hands-free").addEventListener("click", () =>
  voice.mode === "hands-free" ? stop() : start("hands-free"));
const push = $("voice-push");
push.addEventListener("pointerdown", () => hold(true));
push.addEventListener("pointerup", () => hold(false));
push.addEventListener("pointerleave", () => hold(false));
push.addEventListener("keydown", (event) => {
  if (event.key === " " && !event.repeat) { event.preventDefault(); hold(true); }
});
push.addEventListener("keyup", (event) => {
  if (event.key === " ") { event.preventDefault(); hold(false); }
});
setState("off");
// Opening another conversation moves the voice there too.
new MutationObserver(() => {
  if (voice.socket && voice.socket.readyState === WebSocket.OPEN) {
    bargeIn();
    voice.socket.send(JSON.stringify({ type: "hello", conversation_id: document.body.dataset.conversation }));
  }
}).observe(document.body, { attributes: true, attributeFilter: ["data-conversation"] });
