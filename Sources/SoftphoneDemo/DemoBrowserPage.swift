/// The page `softphoned --demo` serves at `/`: the browser joins the demo call as the far end.
///
/// Self-contained (inline CSS and JS, no fetches but our own routes) so the demo needs no
/// files beside the binary. Vanilla ICE, like the daemon: the offer is POSTed once gathering
/// is complete, with no ICE servers (the daemon gathers on `lo` only). The remote stream
/// plays in an `<audio>` element, which Chromium needs before WebAudio hears anything.
/// `window.demo` holds what the page shows, for the tests that drive it.
enum DemoBrowserPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>softphoned demo — the browser is the far end</title>
    <style>
      body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 52em; padding: 0 1em; color: #222; }
      h1 { font-size: 1.35em; }
      table { border-collapse: collapse; margin: 1em 0; }
      th { text-align: left; padding: .25em 1.5em .25em 0; font-weight: 600; vertical-align: top; }
      td { padding: .25em 0; font-family: ui-monospace, monospace; }
      button { font-size: 1em; padding: .4em 1.1em; margin-right: .5em; }
      .muted { color: #fff; background: #c0392b; padding: .1em .5em; border-radius: .3em; }
      .live { color: #fff; background: #27ae60; padding: .1em .5em; border-radius: .3em; }
      #events { font-family: ui-monospace, monospace; font-size: .9em; max-height: 22em; overflow-y: auto; background: #f6f6f6; padding: .5em 1em .5em 3em; }
      #error { color: #c0392b; }
      meter { width: 14em; }
    </style>
    </head>
    <body>
    <h1>softphoned demo: this browser is the far end of the agent's call</h1>
    <p>Join, and the daemon hangs up its in-process far end and answers this browser over WebRTC
      (ICE on 127.0.0.1, DTLS-SRTP, Opus). You send a 660 Hz tone and hear the agent's 440 Hz tone;
      the agent's microphone state and mute events below follow the demo's script and
      <code>softphonectl mute</code> / <code>unmute</code> live. Leave (or close the page) and the demo calls its
      in-process far end again.</p>
    <p><button id="join">Join the call</button><button id="leave" disabled>Leave</button> <span id="error"></span></p>
    <table>
      <tr><th>connection</th><td id="connection">not joined</td></tr>
      <tr><th>you send</th><td>660 Hz tone</td></tr>
      <tr><th>you hear</th><td><span id="heard">–</span> <meter id="meter" min="-90" max="0" value="-90"></meter></td></tr>
      <tr><th>agent's microphone</th><td id="mute">?</td></tr>
      <tr><th>agent's call</th><td id="call">?</td></tr>
    </table>
    <audio id="remote" autoplay controls></audio>
    <h2>Events from the daemon</h2>
    <ol id="events"></ol>
    <script>
    "use strict";
    const demo = window.demo = {
      connection: "not joined", heardHz: null, levelDb: null, packetsReceived: 0,
      muted: null, source: null, mode: null, events: [], errors: [],
    };
    const $ = (id) => document.getElementById(id);
    let pc = null, ctx = null, analyser = null, timer = null;

    function showMute() {
      if (demo.muted === null) return;
      $("mute").innerHTML = demo.muted
        ? `<span class="muted">MUTED</span> mode ${demo.mode}, source ${demo.source}`
        : `<span class="live">LIVE</span> (last change: source ${demo.source})`;
    }

    function applyStatus(status) {
      demo.muted = status.muted; demo.source = status.source; demo.mode = status.mode;
      showMute();
      const call = status.call;
      // A WebRTC call's far end is the selected candidate pair's remote side.
      const far = call && call.webrtc && call.webrtc.remoteCandidate ? call.webrtc.remoteCandidate : call && call.remote;
      $("call").textContent = call ? `${call.transport || "sdes"} with ${far}, ${call.suite}` : "none";
    }

    // The daemon's events, live: the status at connect, then every event.
    const events = new EventSource("/events");
    events.addEventListener("status", (e) => applyStatus(JSON.parse(e.data)));
    events.onmessage = (e) => {
      const event = JSON.parse(e.data);
      demo.events.push(event);
      if (["mute", "unmute", "remoteMute", "remoteUnmute"].includes(event.type)) {
        demo.muted = event.muted; demo.source = event.source; demo.mode = event.mode;
        showMute();
      }
      if (event.type === "callStarted" || event.type === "callEnded") refreshStatus();
      const fields = Object.keys(event).filter((k) => !["type", "seq", "at"].includes(k)).sort()
        .map((k) => `${k}=${typeof event[k] === "object" ? JSON.stringify(event[k]) : event[k]}`).join(" ");
      const item = document.createElement("li");
      item.value = event.seq;
      item.textContent = `${event.at.slice(11, 23)} ${event.type} ${fields}`;
      $("events").appendChild(item);
      item.scrollIntoView({ block: "nearest" });
    };

    async function refreshStatus() {
      try { applyStatus(await (await fetch("/status")).json()); } catch (e) { /* the next event tries again */ }
    }

    function setConnection(state) {
      demo.connection = state;
      $("connection").textContent = state;
      if (state === "connected") refreshStatus();
    }

    function gathered() {
      return new Promise((resolve) => {
        if (pc.iceGatheringState === "complete") return resolve();
        pc.addEventListener("icegatheringstatechange", () => { if (pc.iceGatheringState === "complete") resolve(); });
      });
    }

    function hear(stream) {
      const audio = $("remote");
      audio.srcObject = stream;
      audio.play().catch((e) => demo.errors.push(`audio: ${e}`));
      analyser = ctx.createAnalyser();
      analyser.fftSize = 8192;
      analyser.smoothingTimeConstant = 0;
      ctx.createMediaStreamSource(stream).connect(analyser);
    }

    // Level (RMS, dBFS) and the strongest frequency, interpolated between FFT bins; plus
    // whether packets still arrive (the agent's disable mute sends none).
    async function measure() {
      if (!pc) return;
      const stats = await pc.getStats();
      stats.forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "audio") demo.packetsReceived = s.packetsReceived; });
      if (!analyser) return;
      const wave = new Float32Array(analyser.fftSize);
      analyser.getFloatTimeDomainData(wave);
      let sum = 0;
      for (const v of wave) sum += v * v;
      const level = 10 * Math.log10(sum / wave.length + 1e-12);
      const spectrum = new Float32Array(analyser.frequencyBinCount);
      analyser.getFloatFrequencyData(spectrum);
      let peak = 1;
      for (let i = 2; i < spectrum.length - 1; i++) if (spectrum[i] > spectrum[peak]) peak = i;
      const [a, b, c] = [spectrum[peak - 1], spectrum[peak], spectrum[peak + 1]];
      const offset = (a - c) / (2 * (a - 2 * b + c)) || 0;
      const hz = (peak + offset) * ctx.sampleRate / analyser.fftSize;
      demo.levelDb = Math.round(level * 10) / 10;
      demo.heardHz = level > -60 ? Math.round(hz * 10) / 10 : null;
      $("meter").value = Math.max(-90, level);
      $("heard").textContent = demo.heardHz !== null ? `${demo.heardHz.toFixed(1)} Hz at ${demo.levelDb.toFixed(1)} dBFS`
        : `silence (${demo.levelDb.toFixed(1)} dBFS), ${demo.packetsReceived} packets so far`;
    }

    async function join() {
      $("join").disabled = true;
      $("error").textContent = "";
      demo.errors = [];
      try {
        ctx = ctx || new AudioContext({ sampleRate: 48000 });
        await ctx.resume();
        pc = new RTCPeerConnection({ bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
        pc.onconnectionstatechange = () => {
          setConnection(pc ? pc.connectionState : "closed");
          if (pc && (pc.connectionState === "failed" || pc.connectionState === "closed")) leave();
        };
        pc.ontrack = (e) => hear(e.streams[0] || new MediaStream([e.track]));
        const destination = ctx.createMediaStreamDestination();
        const gain = ctx.createGain();
        gain.gain.value = 0.3;
        const tone = ctx.createOscillator();
        tone.frequency.value = 660;
        tone.connect(gain).connect(destination);
        tone.start();
        pc.addTrack(destination.stream.getAudioTracks()[0], destination.stream);
        setConnection("gathering");
        await pc.setLocalDescription(await pc.createOffer());
        await gathered();
        setConnection("offering");
        const response = await fetch("/offer", { method: "POST", headers: { "Content-Type": "application/sdp" },
                                                 body: pc.localDescription.sdp });
        const text = await response.text();
        if (!response.ok) throw new Error(`the daemon refused the offer (${response.status}): ${text}`);
        await pc.setRemoteDescription({ type: "answer", sdp: text });
        setConnection(pc.connectionState);
        timer = setInterval(measure, 200);
        $("leave").disabled = false;
      } catch (e) {
        demo.errors.push(String(e));
        $("error").textContent = String(e);
        leave();
      }
    }

    function leave() {
      if (timer) clearInterval(timer);
      timer = null;
      analyser = null;
      if (pc) { const closing = pc; pc = null; closing.close(); }
      setConnection("left");
      $("join").disabled = false;
      $("leave").disabled = true;
    }

    $("join").onclick = join;
    $("leave").onclick = leave;
    // Closing the page closes the connection (DTLS close_notify): the daemon ends the call
    // at once instead of waiting for ICE consent to expire.
    window.addEventListener("pagehide", leave);
    window.addEventListener("error", (e) => demo.errors.push(String(e.message)));
    </script>
    </body>
    </html>
    """#
}
