#!/usr/bin/python3
"""A WebRTC far end in headless Chromium, driven through chromedriver's W3C WebDriver HTTP API.

Same command line, signalling (JSON lines on stdin/stdout, vanilla ICE) and report as
webrtcbin_peer.py. Only the standard library is used: urllib for WebDriver, http.server for
the page (served on 127.0.0.1, which is a secure context, so getUserMedia-free WebAudio and
RTCPeerConnection work without flags).

Chromium flags and why:
* --headless=new; --no-sandbox, because the tests run as root;
* --use-fake-ui-for-media-stream, --autoplay-policy=no-user-gesture-required (the page plays
  the remote stream in an <audio> element without a click: WebAudio hears silence otherwise);
* --disable-features=WebRtcHideLocalIpsWithMdns: host candidates carry IP addresses, not
  `.local` names (libnice cannot resolve mDNS);
* --allow-loopback-in-peer-connection: Chrome gathers on 127.0.0.1 as well.

DTLS roles: when Chrome answers an offer with `a=setup:actpass` it answers `a=setup:active`
and is the DTLS client. To make Chrome the DTLS server, let Chrome offer (actpass) and have
the other side answer active, or pass `--dtls-setup passive` in the answer role, which munges
Chrome's answer (libwebrtc honours a munged setup attribute).
"""

import base64
import array
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True  # nothing written into the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import peer_analysis  # noqa: E402
from peer_common import (StdinReader, elapsed_ms, emit, log, parse_arguments,  # noqa: E402
                         sdp_candidates, write_report)

CHROMIUM_CANDIDATES = ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser",
                       "/usr/bin/google-chrome"]


class WebDriverError(Exception):
    pass


class WebDriver:
    """The few W3C WebDriver commands the peer needs, over chromedriver's HTTP API."""

    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.session = None

    def call(self, method, path, body=None, timeout=60):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                payload = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            try:
                payload = json.loads(error.read())
            except ValueError:
                raise WebDriverError(f"{method} {path}: HTTP {error.code}") from None
            value = payload.get("value", {})
            raise WebDriverError(f"{method} {path}: {value.get('error')}: {value.get('message', '')[:500]}") from None
        return payload.get("value")

    def wait_ready(self, timeout, process):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise WebDriverError(f"chromedriver exited with status {process.returncode}")
            try:
                if (self.call("GET", "/status", timeout=2) or {}).get("ready"):
                    return
            except (OSError, WebDriverError):
                pass
            time.sleep(0.05)
        raise WebDriverError(f"chromedriver not ready within {timeout} s")

    def start_session(self, binary, arguments):
        capabilities = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": binary, "args": arguments},
        }}}
        value = self.call("POST", "/session", capabilities)
        self.session = value["sessionId"]
        self.call("POST", f"/session/{self.session}/timeouts", {"script": 60000, "pageLoad": 30000})

    def navigate(self, url):
        self.call("POST", f"/session/{self.session}/url", {"url": url})

    def run(self, script, *arguments):
        """Runs `script` (a function body; `arguments` as in WebDriver) and returns its value."""
        return self.call("POST", f"/session/{self.session}/execute/sync", {"script": script, "args": list(arguments)})

    def run_async(self, expression, *arguments):
        """Awaits the promise `expression` evaluates to; a rejection becomes WebDriverError."""
        script = ("const done = arguments[arguments.length - 1];"
                  f"Promise.resolve().then(() => {expression})"
                  ".then((v) => done({ok: v}), (e) => done({error: String(e && e.stack || e)}));")
        value = self.call("POST", f"/session/{self.session}/execute/async", {"script": script, "args": list(arguments)})
        if isinstance(value, dict) and "error" in value:
            raise WebDriverError(f"page: {value['error']}")
        return value.get("ok") if isinstance(value, dict) else value

    def quit(self):
        if self.session is not None:
            try:
                self.call("DELETE", f"/session/{self.session}", timeout=10)
            except (OSError, WebDriverError) as error:
                log("closing the browser session:", error)
            self.session = None


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *_args):
        pass


def filter_candidates(sdp, addresses):
    """Drops host candidates whose address is not in `addresses` (Chrome cannot be told where to gather)."""
    if not addresses:
        return sdp
    kept = []
    for line in sdp.split("\r\n"):
        if line.startswith("a=candidate:"):
            fields = line.split()
            if len(fields) > 7 and fields[7] == "host" and fields[4] not in addresses:
                continue
        kept.append(line)
    return "\r\n".join(kept)


class ChromiumPeer:
    def __init__(self, args):
        self.args = args
        self.inbox = queue.Queue()
        self.stop_reason = None
        self.errors = []
        self.local_sdp = None
        self.remote_sdp = None
        self.signalled_at = None
        self.connected_at = None
        self.done = False
        self.driver = None
        self.chromedriver = None
        self.server = None
        self.profile = tempfile.mkdtemp(prefix="softphoned-chromium-")
        self.driver_log = os.path.join(self.profile, "chromedriver.log")

    # ---- browser ------------------------------------------------------------------------
    def launch(self):
        binary = next((p for p in CHROMIUM_CANDIDATES if os.access(p, os.X_OK)), None)
        chromedriver = shutil.which("chromedriver") or "/usr/lib/chromium/chromedriver"
        if binary is None or not os.access(chromedriver, os.X_OK):
            raise WebDriverError("chromium or chromedriver is missing (Debian packages chromium chromium-driver)")
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=HERE))
        threading.Thread(target=self.server.serve_forever, name="page-server", daemon=True).start()
        port = free_tcp_port()
        with open(self.driver_log, "wb") as log_file:
            self.chromedriver = subprocess.Popen(
                [chromedriver, f"--port={port}"], stdin=subprocess.DEVNULL, stdout=log_file,
                stderr=subprocess.STDOUT, start_new_session=True)
        self.driver = WebDriver(port)
        self.driver.wait_ready(15, self.chromedriver)
        flags = [
            "--headless=new",
            "--use-fake-ui-for-media-stream",
            "--autoplay-policy=no-user-gesture-required",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
            "--allow-loopback-in-peer-connection",
            "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--password-store=basic", "--use-mock-keychain",
            f"--user-data-dir={os.path.join(self.profile, 'profile')}",
        ]
        if os.geteuid() == 0:
            flags.append("--no-sandbox")
        self.driver.start_session(binary, flags)
        self.driver.navigate(f"http://127.0.0.1:{self.server.server_address[1]}/peer.html")
        config = {
            "role": self.args.role,
            "tone": self.args.tone,
            "duration": self.args.duration,
            "listenSeconds": self.args.listen_seconds,
            "stun": self.args.stun,
            "turn": None,
            "forceRelay": self.args.force_relay,
            "dtlsSetup": self.args.dtls_setup,
        }
        if self.args.turn:
            t = self.args.turn_parts
            scheme = "turns" if t["scheme"] == "turns" else "turn"
            query = f"?{t['query']}" if t["query"] else ""
            config["turn"] = {"urls": f"{scheme}:{t['host']}:{t['port']}{query}", "user": t["user"],
                              "password": t["password"]}
        self.driver.run_async("peer.start(arguments[0])", config)
        log("browser ready")

    # ---- signalling ---------------------------------------------------------------------
    def send_local(self, sdp):
        sdp = filter_candidates(sdp, self.args.local_address)
        if not sdp_candidates(sdp):
            raise WebDriverError("ICE gathering completed without a usable candidate")
        self.local_sdp = sdp
        emit({"type": self.args.role, "sdp": sdp})

    def handle(self, message):
        kind = message.get("type")
        if kind == "bye":
            self.stop_reason = "bye"
        elif kind == "eof":
            pass
        elif kind == "offer" and self.args.role == "answer" and self.remote_sdp is None:
            self.remote_sdp = message.get("sdp", "")
            self.signalled_at = time.monotonic()
            self.send_local(self.driver.run_async("peer.acceptOffer(arguments[0])", self.remote_sdp))
        elif kind == "answer" and self.args.role == "offer" and self.remote_sdp is None and self.local_sdp:
            self.remote_sdp = message.get("sdp", "")
            self.signalled_at = time.monotonic()
            self.driver.run_async("peer.setAnswer(arguments[0])", self.remote_sdp)
        else:
            log("ignoring signalling message", kind)

    def pump_events(self):
        for event in self.driver.run("return peer.drain();") or []:
            if event["kind"] == "done":
                self.stop_reason = "done"
                continue
            emit({"type": "state", "kind": event["kind"], "value": event["value"], "t_ms": elapsed_ms()})
            if event["kind"] == "connection" and event["value"] == "connected" and self.connected_at is None:
                self.connected_at = time.monotonic()
                log("connected")
            if event["kind"] == "connection" and event["value"] == "failed":
                self.errors.append("peer connection failed")
                self.stop_reason = "error"

    def run(self):
        exit_code = 0
        page = {}
        StdinReader(self.inbox.put)
        try:
            self.launch()
            if self.args.role == "offer":
                self.send_local(self.driver.run_async("peer.createOffer()"))
            while self.stop_reason is None:
                try:
                    message = self.inbox.get(timeout=0.1)
                    self.handle(message)
                except queue.Empty:
                    pass
                self.pump_events()
                if (self.connected_at is None and self.signalled_at is not None
                        and time.monotonic() - self.signalled_at > self.args.connect_timeout):
                    self.errors.append(f"not connected within {self.args.connect_timeout} s of signalling")
                    self.stop_reason = "error"
            page = self.driver.run_async("peer.finish()") or {}
        except KeyboardInterrupt:
            self.stop_reason = "signal"
            page = self.finish_quietly()
        except (WebDriverError, OSError) as error:
            log("error:", error)
            self.errors.append(str(error))
            self.stop_reason = "error"
            page = self.finish_quietly()
        finally:
            self.shutdown()
        if self.stop_reason == "error" or not page.get("connected"):
            exit_code = 2
        self.report(page)
        return exit_code

    def finish_quietly(self):
        try:
            return self.driver.run_async("peer.finish()") or {} if self.driver and self.driver.session else {}
        except (WebDriverError, OSError):
            return {}

    def shutdown(self):
        if self.driver is not None:
            self.driver.quit()
        if self.chromedriver is not None:
            if self.chromedriver.poll() is None:
                try:
                    os.killpg(self.chromedriver.pid, signal.SIGTERM)
                    self.chromedriver.wait(timeout=5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    os.killpg(self.chromedriver.pid, signal.SIGKILL)
                    self.chromedriver.wait(timeout=5)
        if self.server is not None:
            self.server.shutdown()
        if self.stop_reason == "error" and os.path.exists(self.driver_log):
            with open(self.driver_log, errors="replace") as f:
                tail = f.read()[-3000:]
            if tail.strip():
                log("chromedriver log (end):\n" + tail)
        shutil.rmtree(self.profile, ignore_errors=True)

    def report(self, page):
        pcm = array.array("h")
        pcm.frombytes(base64.b64decode(page.pop("pcm_base64", "") or ""))
        rate = int(page.get("sample_rate") or 48000)
        states = page.pop("states", [])
        report = {
            "peer": "chromium",
            "role": self.args.role,
            "tone_hz": self.args.tone,
            "end_reason": self.stop_reason,
            "connected": bool(page.get("connected")),
            "connect_ms": round((self.connected_at - self.signalled_at) * 1000, 1)
            if self.connected_at and self.signalled_at else None,
            "local_candidates": sdp_candidates(self.local_sdp or ""),
            "remote_candidates": sdp_candidates(self.remote_sdp or ""),
            "states": states,
            "errors": self.errors + page.pop("errors", []),
        }
        for key in ("ice_state", "connection_state", "dtls_state", "dtls_role", "srtp_profile", "selected_pair",
                    "packets_received", "bytes_received", "first_packet_ms", "packets_timeline", "audio_level",
                    "packets_sent", "tls_version", "dtls_cipher"):
            report[key] = page.get(key)
        report["packets_received"] = report["packets_received"] or 0
        report["packets_timeline"] = report["packets_timeline"] or []
        report.update(peer_analysis.audio_summary(pcm, rate))
        write_report(self.args.report, report)


def main():
    def extra(parser):
        parser.add_argument("--dtls-setup", choices=["active", "passive"], default=None,
                            help="answer role only: the a=setup Chrome answers with (default active)")

    args = parse_arguments("WebRTC test peer in headless Chromium", extend=extra)
    if args.dtls_setup and args.role != "answer":
        print("--dtls-setup applies to the answer role only", file=sys.stderr)
        return 64

    def interrupted(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    return ChromiumPeer(args).run()


if __name__ == "__main__":
    sys.exit(main())
