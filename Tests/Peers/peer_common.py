"""Command line and signalling shared by the WebRTC test peers.

Signalling is JSON lines: the peer writes `{"type": "offer"|"answer", "sdp": ...}` and
`{"type": "state", ...}` lines to stdout and reads `{"type": "offer"|"answer", "sdp": ...}` and
`{"type": "bye"}` from stdin. Nothing else is written to stdout; diagnostics go to stderr.
"""

import argparse
import json
import sys
import threading
import time

_out_lock = threading.Lock()
_started = time.monotonic()


def elapsed_ms():
    """Milliseconds since the peer started."""
    return round((time.monotonic() - _started) * 1000.0, 1)


def emit(message):
    """Writes one JSON line to stdout (the signalling channel)."""
    line = json.dumps(message, separators=(",", ":"))
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def log(*words):
    print(f"[{elapsed_ms():8.1f} ms]", *words, file=sys.stderr, flush=True)


def parse_arguments(description, argv=None, extend=None):
    """The command line both peers share; `extend` adds a peer's own options."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--role", choices=["offer", "answer"], required=True,
                        help="offer: print an offer, read the answer; answer: read an offer, print the answer")
    parser.add_argument("--tone", type=float, default=440.0,
                        help="sine frequency sent, Hz (0 sends digital silence)")
    parser.add_argument("--duration", type=float, default=3.0,
                        help="seconds of tone sent, counted from ICE connected (0: send nothing)")
    parser.add_argument("--listen-seconds", type=float, default=None,
                        help="seconds to keep receiving, counted from ICE connected (default: --duration)")
    parser.add_argument("--stun", metavar="HOST:PORT", default=None, help="STUN server (default none)")
    parser.add_argument("--turn", metavar="turn://USER:PASS@HOST:PORT", default=None, help="TURN server")
    parser.add_argument("--force-relay", action="store_true",
                        help="ICE transport policy relay: only relayed candidates are used")
    parser.add_argument("--local-address", metavar="IP", action="append", default=[],
                        help="gather host candidates only on this address (repeatable; e.g. 127.0.0.1)")
    parser.add_argument("--connect-timeout", type=float, default=15.0,
                        help="give up when ICE/DTLS has not connected this many seconds after signalling")
    parser.add_argument("--report", metavar="PATH", default=None, help="where the JSON report is written")
    if extend is not None:
        extend(parser)
    args = parser.parse_args(argv)
    if args.listen_seconds is None:
        args.listen_seconds = args.duration
    if args.turn is not None:
        args.turn_parts = parse_turn_url(parser, args.turn)
    if args.stun is not None:
        host, sep, port = args.stun.rpartition(":")
        if not sep or not host or not port.isdigit():
            parser.error(f"--stun must be HOST:PORT, got {args.stun!r}")
    if args.force_relay and args.turn is None:
        parser.error("--force-relay needs --turn")
    return args


def parse_turn_url(parser, url):
    """Splits turn://user:pass@host:port (a `?transport=` suffix is kept for the caller)."""
    scheme, sep, rest = url.partition("://")
    if scheme not in ("turn", "turns") or not sep or "@" not in rest:
        parser.error(f"--turn must be turn://USER:PASS@HOST:PORT, got {url!r}")
    credentials, _, address = rest.rpartition("@")
    user, sep, password = credentials.partition(":")
    address, _, query = address.partition("?")
    host, sep2, port = address.rpartition(":")
    if not sep or not user or not host or not port.isdigit():
        parser.error(f"--turn must be turn://USER:PASS@HOST:PORT, got {url!r}")
    return {"scheme": scheme, "user": user, "password": password, "host": host, "port": int(port), "query": query}


class StdinReader:
    """Reads signalling lines from stdin on a thread of its own and hands them to `deliver`."""

    def __init__(self, deliver):
        self._deliver = deliver
        thread = threading.Thread(target=self._run, name="signalling-stdin", daemon=True)
        thread.start()

    def _run(self):
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                message = json.loads(line)
            except ValueError as error:
                log("ignoring signalling line that is not JSON:", repr(line[:80]), error)
                continue
            if not isinstance(message, dict) or "type" not in message:
                log("ignoring signalling message without a type:", repr(line[:80]))
                continue
            self._deliver(message)
        self._deliver({"type": "eof"})


def sdp_candidates(sdp):
    """The a=candidate lines of an SDP (vanilla ICE puts them all there)."""
    return [line.strip()[2:] for line in sdp.splitlines() if line.startswith("a=candidate:")]


def sdp_attribute(sdp, name):
    """The first value of a=name: (media or session level), or None."""
    prefix = f"a={name}:"
    for line in sdp.splitlines():
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    return None


def opus_payload_type(sdp):
    """The payload type the SDP maps to opus/48000, or None."""
    for line in sdp.splitlines():
        if line.startswith("a=rtpmap:"):
            pt, _, encoding = line[len("a=rtpmap:"):].partition(" ")
            if encoding.strip().lower().startswith("opus/48000"):
                return int(pt)
    return None


def write_report(path, report):
    text = json.dumps(report, indent=1, sort_keys=True)
    if path is None:
        sys.stderr.write(text + "\n")
        return
    with open(path + ".tmp", "w") as f:
        f.write(text + "\n")
    import os
    os.replace(path + ".tmp", path)
