#!/usr/bin/python3
"""A WebRTC far end built on GStreamer's webrtcbin (libnice ICE, OpenSSL DTLS-SRTP, Opus).

Sends a sine tone, decodes what it receives and writes a JSON report (see README in this
folder). Signalling is JSON lines on stdin/stdout, vanilla ICE: the offer or answer is printed
only once ICE gathering is complete, so every candidate is in the SDP.

Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-gst-plugins-bad-1.0, gstreamer1.0-nice).

webrtcbin quirks handled here:
* Its answer takes the payload type from the transceiver's caps, so the answering peer reads
  the offer first and builds its sender with the offer's Opus payload type.
* It gathers on every non-loopback interface unless told otherwise; `--local-address` uses the
  ICE object's `add-local-ip-address` (and then loopback works too).
* libnice defaults UPnP IGD discovery and ICE-TCP on; both are switched off (UDP only).
* DTLS role: webrtcbin offers `a=setup:actpass` and answers `a=setup:active`, so answering it is
  the DTLS client, offering it is whatever the answerer picks (Chrome: active, so webrtcbin is
  the DTLS server).
"""

import array
import os
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

import peer_analysis  # noqa: E402
from peer_common import (StdinReader, elapsed_ms, emit, log, opus_payload_type,  # noqa: E402
                         parse_arguments, sdp_candidates, write_report)

RATE = 48000
SRTP_PROFILES = {
    ("aes-128-icm", "hmac-sha1-80"): "SRTP_AES128_CM_HMAC_SHA1_80",
    ("aes-128-icm", "hmac-sha1-32"): "SRTP_AES128_CM_HMAC_SHA1_32",
    ("aes-128-gcm", "null"): "SRTP_AEAD_AES_128_GCM",
    ("aes-256-gcm", "null"): "SRTP_AEAD_AES_256_GCM",
}


def enum_nick(value):
    if value is None:
        return None
    nick = getattr(value, "value_nick", None)
    return nick if nick is not None else str(value)


class WebRTCBinPeer:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.pipe = None
        self.webrtc = None
        self.dtls = None
        self.samples = array.array("h")
        self.samples_lock = threading.Lock()
        self.packets = 0
        self.bytes = 0
        self.first_packet_ms = None
        self.packets_timeline = []
        self.states = []
        self.errors = []
        self.local_sdp = None
        self.remote_sdp = None
        self.signalled_at = None
        self.connected_at = None
        self.finished = False
        self.exit_code = 0
        self.stats = {}
        self.srtp_profile = None
        self.payload_type = 111
        self.sent_local = False

    # ---- pipeline -----------------------------------------------------------------------
    def build(self, payload_type):
        a = self.args
        self.payload_type = payload_type
        wave = "sine" if a.tone > 0 else "silence"
        freq = a.tone if a.tone > 0 else 440
        description = (
            f"audiotestsrc is-live=true wave={wave} freq={freq} volume=0.3 "
            f"! audioconvert ! audioresample ! audio/x-raw,rate={RATE},channels=1 "
            "! opusenc bitrate=32000 frame-size=20 "
            f"! rtpopuspay pt={payload_type} "
            "! valve name=gate drop-mode=forward-sticky-events "
            f"! application/x-rtp,media=audio,encoding-name=OPUS,clock-rate={RATE},payload={payload_type} "
            "! webrtcbin name=wb bundle-policy=max-bundle latency=60"
        )
        self.pipe = Gst.parse_launch(description)
        self.webrtc = self.pipe.get_by_name("wb")
        self.gate = self.pipe.get_by_name("gate")
        self.gate.set_property("drop", a.duration <= 0)
        # Kept for the life of the process: PyGObject drops one reference too many when the
        # wrapper of webrtcbin's (floating) ICE object goes away, which destroys it.
        self.ice = ice = self.webrtc.get_property("ice-agent")
        for prop, value in (("ice-tcp", False),):
            if ice.find_property(prop) is not None:
                ice.set_property(prop, value)
        agent = ice.get_property("agent") if ice.find_property("agent") is not None else None
        if agent is not None and agent.find_property("upnp") is not None:
            agent.set_property("upnp", False)
        for address in a.local_address:
            if not ice.emit("add-local-ip-address", address):
                self.fail(f"webrtcbin refused local address {address}")
        if a.stun:
            self.webrtc.set_property("stun-server", f"stun://{a.stun}")
        if a.turn:
            self.webrtc.set_property("turn-server", a.turn)
        if a.force_relay:
            self.webrtc.set_property("ice-transport-policy", GstWebRTC.WebRTCICETransportPolicy.RELAY)
        self.webrtc.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.webrtc.connect("pad-added", self.on_pad_added)
        for prop in ("ice-gathering-state", "ice-connection-state", "connection-state"):
            self.webrtc.connect(f"notify::{prop}", self.on_state)
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_error)
        bus.connect("message::warning", self.on_warning)
        self.pipe.set_state(Gst.State.PLAYING)

    # ---- signalling ---------------------------------------------------------------------
    def on_message(self, message):
        GLib.idle_add(self.handle_message, message)

    def handle_message(self, message):
        kind = message.get("type")
        if kind == "bye":
            self.finish("bye")
        elif kind == "eof":
            pass  # no more signalling; keep running until the timers end
        elif kind == "offer" and self.args.role == "answer" and self.remote_sdp is None:
            sdp = message.get("sdp", "")
            pt = opus_payload_type(sdp)
            if pt is None:
                self.fail("the offer has no opus/48000 payload type")
                return False
            self.remote_sdp = sdp
            self.build(pt)
            self.set_remote(GstWebRTC.WebRTCSDPType.OFFER, sdp, self.create_answer)
        elif kind == "answer" and self.args.role == "offer" and self.remote_sdp is None and self.sent_local:
            self.remote_sdp = message.get("sdp", "")
            self.set_remote(GstWebRTC.WebRTCSDPType.ANSWER, self.remote_sdp, None)
        else:
            log("ignoring signalling message", kind)
        return False

    def set_remote(self, kind, text, then):
        result, message = GstSdp.SDPMessage.new_from_text(text)
        if result != GstSdp.SDPResult.OK:
            self.fail(f"cannot parse the remote SDP ({result})")
            return
        description = GstWebRTC.WebRTCSessionDescription.new(kind, message)

        def done(promise, _):
            reply = promise.get_reply()
            if reply is not None and reply.has_field("error"):
                GLib.idle_add(self.fail, f"set-remote-description: {reply.get_value('error').message}")
                return
            self.signalled_at = time.monotonic()
            GLib.timeout_add(int(self.args.connect_timeout * 1000), self.connect_deadline)
            if then is not None:
                GLib.idle_add(then)

        self.webrtc.emit("set-remote-description", description, Gst.Promise.new_with_change_func(done, None))

    def on_negotiation_needed(self, _element):
        if self.args.role != "offer":
            return
        GLib.idle_add(self.create_offer)

    def create_offer(self):
        def done(promise, _):
            reply = promise.get_reply()
            offer = reply.get_value("offer") if reply is not None and reply.has_field("offer") else None
            if offer is None:
                GLib.idle_add(self.fail, "create-offer gave no offer")
                return
            self.webrtc.emit("set-local-description", offer, Gst.Promise.new())
            GLib.idle_add(self.maybe_send_local)

        self.webrtc.emit("create-offer", None, Gst.Promise.new_with_change_func(done, None))
        return False

    def create_answer(self):
        def done(promise, _):
            reply = promise.get_reply()
            answer = reply.get_value("answer") if reply is not None and reply.has_field("answer") else None
            if answer is None:
                GLib.idle_add(self.fail, "create-answer gave no answer")
                return
            self.webrtc.emit("set-local-description", answer, Gst.Promise.new())
            GLib.idle_add(self.maybe_send_local)

        self.webrtc.emit("create-answer", None, Gst.Promise.new_with_change_func(done, None))
        return False

    def maybe_send_local(self):
        """Vanilla ICE: the description goes out once gathering is complete."""
        if self.sent_local or self.webrtc is None:
            return False
        state = self.webrtc.get_property("ice-gathering-state")
        description = self.webrtc.get_property("local-description")
        if state != GstWebRTC.WebRTCICEGatheringState.COMPLETE or description is None:
            return False
        text = description.sdp.as_text()
        if not sdp_candidates(text):
            self.fail("ICE gathering completed without a single candidate")
            return False
        self.sent_local = True
        self.local_sdp = text
        emit({"type": self.args.role, "sdp": text})
        return False

    # ---- state --------------------------------------------------------------------------
    def on_state(self, element, pspec):
        value = enum_nick(element.get_property(pspec.name))
        name = {"ice-gathering-state": "iceGathering", "ice-connection-state": "ice",
                "connection-state": "connection"}[pspec.name]
        GLib.idle_add(self.record_state, name, value)
        if pspec.name == "ice-gathering-state":
            GLib.idle_add(self.maybe_send_local)

    def record_state(self, name, value):
        self.states.append({"t_ms": elapsed_ms(), "kind": name, "value": value})
        emit({"type": "state", "kind": name, "value": value, "t_ms": elapsed_ms()})
        if name == "connection" and value == "connected" and self.connected_at is None:
            self.on_connected()
        elif name == "connection" and value == "failed":
            self.fail("peer connection failed")
        if name == "ice" and self.dtls is None:
            self.watch_dtls()
        return False

    def watch_dtls(self):
        transceiver = self.webrtc.emit("get-transceiver", 0)
        if transceiver is None:
            return
        transport = transceiver.get_property("receiver").get_property("transport")
        if transport is None:
            return
        self.dtls = transport
        transport.connect("notify::state", lambda t, _p: GLib.idle_add(
            self.record_state, "dtls", enum_nick(t.get_property("state"))))

    def on_connected(self):
        self.connected_at = time.monotonic()
        log("connected")
        if self.args.duration > 0:
            GLib.timeout_add(int(self.args.duration * 1000), self.stop_sending)
        GLib.timeout_add(100, self.sample_packets)
        GLib.timeout_add(int(max(self.args.duration, self.args.listen_seconds) * 1000) + 50,
                         lambda: self.finish("done") and False)
        GLib.timeout_add(300, self.read_srtp_profile)

    def stop_sending(self):
        self.gate.set_property("drop", True)
        self.record_state("sending", "stopped")
        return False

    def sample_packets(self):
        if self.finished:
            return False
        self.packets_timeline.append([round((time.monotonic() - self.connected_at) * 1000), self.packets])
        return True

    def read_srtp_profile(self):
        """The profile DTLS chose, as the SRTP encoder inside webrtcbin was keyed."""
        iterator = self.pipe.iterate_recurse()
        while True:
            result, element = iterator.next()
            if result != Gst.IteratorResult.OK:
                break
            factory = element.get_factory()
            if factory is not None and factory.get_name() == "srtpenc":
                key = (enum_nick(element.get_property("rtp-cipher")), enum_nick(element.get_property("rtp-auth")))
                self.srtp_profile = SRTP_PROFILES.get(key, "/".join(str(k) for k in key))
        return False

    def connect_deadline(self):
        if self.connected_at is None and not self.finished:
            self.fail(f"not connected within {self.args.connect_timeout} s of signalling")
        return False

    # ---- media in -----------------------------------------------------------------------
    def on_pad_added(self, _element, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        bin_ = Gst.parse_bin_from_description(
            "queue ! rtpopusdepay ! opusdec ! audioconvert ! audioresample "
            f"! audio/x-raw,format=S16LE,rate={RATE},channels=1 "
            "! appsink name=sink emit-signals=true sync=false", True)
        self.pipe.add(bin_)
        bin_.sync_state_with_parent()
        sink = bin_.get_by_name("sink")
        sink.connect("new-sample", self.on_sample)
        pad.add_probe(Gst.PadProbeType.BUFFER, self.on_packet)
        pad.link(bin_.get_static_pad("sink"))

    def on_packet(self, _pad, info):
        buffer = info.get_buffer()
        self.packets += 1
        self.bytes += buffer.get_size()
        if self.first_packet_ms is None and self.connected_at is not None:
            self.first_packet_ms = round((time.monotonic() - self.connected_at) * 1000, 1)
        return Gst.PadProbeReturn.OK

    def on_sample(self, sink):
        sample = sink.emit("pull-sample")
        buffer = sample.get_buffer()
        ok, info = buffer.map(Gst.MapFlags.READ)
        if ok:
            chunk = array.array("h")
            chunk.frombytes(bytes(info.data))
            buffer.unmap(info)
            with self.samples_lock:
                self.samples.extend(chunk)
        return Gst.FlowReturn.OK

    # ---- stats and end ------------------------------------------------------------------
    def collect_stats(self):
        if self.webrtc is None:
            return {}
        promise = Gst.Promise.new()
        self.webrtc.emit("get-stats", None, promise)
        promise.wait()
        reply = promise.get_reply()
        stats = {}
        if reply is None:
            return stats

        def each(field_id, value, _data=None):
            if isinstance(value, Gst.Structure):
                entry = {}
                for i in range(value.n_fields()):
                    name = value.nth_field_name(i)
                    v = value.get_value(name)
                    entry[name] = enum_nick(v) if hasattr(v, "value_nick") else (
                        v if isinstance(v, (int, float, str, bool)) or v is None else str(v))
                stats[GLib.quark_to_string(field_id)] = entry
            return True

        reply.foreach(each, None)
        return stats

    def selected_pair(self, stats):
        """The nominated pair from webrtcbin's candidate-pair statistics, if it reports one."""
        by_id = stats
        for entry in stats.values():
            if entry.get("type") in ("candidate-pair",) and entry.get("local-candidate-id"):
                local = by_id.get(entry.get("local-candidate-id"), {})
                remote = by_id.get(entry.get("remote-candidate-id"), {})
                return {
                    "local": candidate_summary(local),
                    "remote": candidate_summary(remote),
                }
        return None

    def fail(self, message):
        log("error:", message)
        self.errors.append(message)
        self.exit_code = 2
        self.finish("error")
        return False

    def on_error(self, _bus, message):
        error, debug = message.parse_error()
        self.fail(f"{message.src.get_name()}: {error.message}")

    def on_warning(self, _bus, message):
        warning, _debug = message.parse_warning()
        log("warning:", message.src.get_name(), warning.message)

    def finish(self, reason):
        if self.finished:
            return False
        self.finished = True
        log("finishing:", reason)
        try:
            stats = self.collect_stats()
        except Exception as error:  # stats are diagnostics; never lose the report for them
            stats = {}
            self.errors.append(f"get-stats: {error}")
        if self.srtp_profile is None and self.pipe is not None and self.connected_at is not None:
            self.read_srtp_profile()
        with self.samples_lock:
            samples = self.samples
        report = {
            "peer": "webrtcbin",
            "role": self.args.role,
            "tone_hz": self.args.tone,
            "end_reason": reason,
            "connected": self.connected_at is not None,
            "connect_ms": round((self.connected_at - self.signalled_at) * 1000, 1)
            if self.connected_at and self.signalled_at else None,
            "ice_state": last_state(self.states, "ice"),
            "connection_state": last_state(self.states, "connection"),
            "dtls_state": last_state(self.states, "dtls"),
            "dtls_role": None if self.dtls is None else ("client" if self.dtls.get_property("client") else "server"),
            "srtp_profile": self.srtp_profile,
            "selected_pair": self.selected_pair(stats),
            "packets_received": self.packets,
            "bytes_received": self.bytes,
            "first_packet_ms": self.first_packet_ms,
            "packets_timeline": self.packets_timeline,
            "local_candidates": sdp_candidates(self.local_sdp or ""),
            "remote_candidates": sdp_candidates(self.remote_sdp or ""),
            "states": self.states,
            "errors": self.errors,
            "stats": stats,
        }
        report.update(peer_analysis.audio_summary(samples, RATE))
        write_report(self.args.report, report)
        if self.pipe is not None:
            self.pipe.set_state(Gst.State.NULL)
        self.loop.quit()
        return False

    def run(self):
        StdinReader(self.on_message)
        if self.args.role == "offer":
            self.build(111)
        for signum in (signal.SIGINT, signal.SIGTERM):
            GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, lambda: self.finish("signal") and False)
        self.loop.run()
        return self.exit_code


def candidate_summary(entry):
    if not entry:
        return None
    return {
        "type": entry.get("candidate-type"),
        "address": entry.get("address"),
        "port": entry.get("port"),
        "protocol": entry.get("protocol"),
    }


def last_state(states, kind):
    for entry in reversed(states):
        if entry["kind"] == kind:
            return entry["value"]
    return None


def main():
    args = parse_arguments("WebRTC test peer on GStreamer webrtcbin")
    Gst.init(None)
    if Gst.ElementFactory.find("webrtcbin") is None or Gst.ElementFactory.find("nicesrc") is None:
        print("webrtcbin or the nice elements are missing (gstreamer1.0-plugins-bad, gstreamer1.0-nice)",
              file=sys.stderr)
        return 3
    return WebRTCBinPeer(args).run()


if __name__ == "__main__":
    sys.exit(main())
