#!/usr/bin/env bash
# CPU time and memory of softphoned's send path against GStreamer doing the same work.
#
#   scripts/bench-compare.sh [SECONDS]        (make bench-compare BENCH_SECONDS=N)
#
# Both send a 440 Hz tone as Opus (48 kHz mono, 20 ms, 32 kb/s, complexity 10, VoIP, in-band
# FEC at 5 % expected loss) in RTP, protected with SRTP AES_CM_128_HMAC_SHA1_80, over UDP to a
# counter on 127.0.0.1, one after the other for SECONDS each, in one run on one machine.
# softphoned's default complexity is 9; it runs with 10 here so both encoders do the same work.
#
# Measured per process, from the kernel's accounting of the whole process life (wait4):
# user+system CPU seconds and peak RSS; from /proc/<pid>/stat after a one-second start-up: the
# steady-state CPU share; at the receiver: RTP packets per second (RTCP is not counted).
#
# Environment: SOFTPHONED=path to the binary (default: the release build, built if missing).
set -euo pipefail

SECONDS_TO_RUN="${1:-20}"
if ! [[ "$SECONDS_TO_RUN" =~ ^[0-9]+$ ]] || [ "$SECONDS_TO_RUN" -lt 3 ]; then
    echo "usage: $0 [SECONDS]   (a whole number of seconds, at least 3; got '${1:-}')" >&2
    exit 2
fi

cd "$(dirname "$0")/.."

for tool in gst-launch-1.0 gst-inspect-1.0 python3; do
    command -v "$tool" >/dev/null || { echo "bench-compare: $tool is missing (run scripts/install-deps.sh)" >&2; exit 1; }
done
for element in audiotestsrc opusenc rtpopuspay srtpenc udpsink; do
    # Also builds GStreamer's plugin registry once, so its first scan is not measured.
    gst-inspect-1.0 "$element" >/dev/null 2>&1 || { echo "bench-compare: GStreamer element $element is missing" >&2; exit 1; }
done

SOFTPHONED="${SOFTPHONED:-}"
if [ -z "$SOFTPHONED" ]; then
    bin="$(swift build -c release --show-bin-path)"
    [ -x "$bin/softphoned" ] || swift build -c release --product softphoned
    SOFTPHONED="$bin/softphoned"
fi
[ -x "$SOFTPHONED" ] || { echo "bench-compare: no softphoned binary at $SOFTPHONED" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/softphoned-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

python3 - "$SECONDS_TO_RUN" "$SOFTPHONED" "$WORK" <<'PY'
import base64, os, resource, signal, socket, subprocess, sys, threading, time

seconds, softphoned, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
STARTUP = 1.0  # seconds excluded from the steady-state figure

class Receiver:
    """Counts the RTP packets arriving on a UDP port of 127.0.0.1 (RTCP, muxed on the port, is skipped)."""
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.times, self.rtcp, self.stop = [], 0, False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                data = self.sock.recv(2048)
            except socket.timeout:
                continue
            if len(data) >= 2 and 192 <= data[1] <= 223:   # RFC 5761 §4: RTCP packet types
                self.rtcp += 1
            else:
                self.times.append(time.monotonic())

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()

    def rate(self, since):
        """Packets per second after `since` (monotonic), over the span they arrived in."""
        t = [x for x in self.times if x >= since]
        return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else 0.0

def proc_cpu(pid):
    """utime+stime of a live process, in seconds (fields 14 and 15 of /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

def measure(name, argv, stop_signal, receiver, env=None):
    log_path = os.path.join(work, name + ".log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    started = time.monotonic()
    time.sleep(STARTUP)
    if proc.poll() is not None:
        fail(name, f"exited at start-up with status {proc.returncode}", log_path)
    steady_from, cpu_at_steady = time.monotonic(), proc_cpu(proc.pid)
    time.sleep(max(0.0, seconds - (time.monotonic() - started)))
    if proc.poll() is not None:
        fail(name, f"exited early with status {proc.returncode}", log_path)
    steady_to, cpu_at_end = time.monotonic(), proc_cpu(proc.pid)
    proc.send_signal(stop_signal)
    deadline = time.monotonic() + 5
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            print(f"note: {name} did not stop within 5 s of {stop_signal.name} and was killed", file=sys.stderr)
            break
        time.sleep(0.05)
    ended = time.monotonic()
    receiver.close()
    packets = len([x for x in receiver.times if x >= started])
    if packets == 0:
        fail(name, "sent no RTP packets to the receiver", log_path)
    return {
        "name": name,
        "cpu": usage.ru_utime + usage.ru_stime,
        "user": usage.ru_utime,
        "sys": usage.ru_stime,
        "wall": ended - started,
        "steady": (cpu_at_end - cpu_at_steady) / (steady_to - steady_from) * 100,
        "rss": usage.ru_maxrss / 1024,  # KiB → MiB
        "pps": receiver.rate(steady_from),
        "packets": packets,
        "rtcp": receiver.rtcp,
    }

def fail(name, why, log_path):
    print(f"bench-compare: {name} {why}; its output:", file=sys.stderr)
    with open(log_path, errors="replace") as f:
        sys.stderr.write("".join(f.readlines()[-30:]))
    sys.exit(1)

master = os.urandom(30)  # AES-128 key (16) + salt (14)

# (a) softphoned: a static call from its configuration (SPEC §6), no REST signaling.
rx = Receiver()
config = os.path.join(work, "softphoned.yaml")
with open(config, "w") as f:
    f.write(f"""audio:   {{ source: "tone:440", playback: none }}
opus:    {{ bitrate: 32000, complexity: 10, fec: true, dtx: false }}
call:
  remote: "127.0.0.1:{rx.port}"
  srtp-suite: AES_CM_128_HMAC_SHA1_80
  srtp-key: "inline:{base64.b64encode(master).decode()}"
api:     {{ profile: none }}
control: {{ socket: "{work}/control.sock" }}
log:     {{ level: warning }}
""")
env = {k: v for k, v in os.environ.items() if not k.startswith("SOFTPHONED_") and k != "NOTIFY_SOCKET"}
ours = measure("softphoned", [softphoned, "--config", config], signal.SIGTERM, rx, env)

# (b) GStreamer doing the same: same tone, codec settings, RTP, SRTP suite and destination.
rx = Receiver()
pipeline = (
    "audiotestsrc is-live=true wave=sine freq=440 "
    "! audio/x-raw,rate=48000,channels=1 "
    "! opusenc bitrate=32000 complexity=10 frame-size=20 audio-type=voice inband-fec=true packet-loss-percentage=5 dtx=false "
    "! rtpopuspay pt=111 "
    f"! srtpenc key={master.hex()} rtp-cipher=aes-128-icm rtp-auth=hmac-sha1-80 rtcp-cipher=aes-128-icm rtcp-auth=hmac-sha1-80 "
    f"! udpsink host=127.0.0.1 port={rx.port} sync=false async=false"
)
theirs = measure("GStreamer", ["gst-launch-1.0", "-q"] + pipeline.split(), signal.SIGINT, rx)

def ratio(a, b):
    return f"{a / b:.2f}" if b else "n/a"

rows = [
    ("CPU time, whole run (s)", "cpu", "{:.2f}"),
    ("  of which user (s)", "user", "{:.2f}"),
    ("  of which system (s)", "sys", "{:.2f}"),
    ("CPU % of one core, whole run", None, "{:.2f}"),
    ("CPU % of one core, steady state", "steady", "{:.2f}"),
    ("Peak RSS (MiB)", "rss", "{:.1f}"),
    ("RTP packets/s at the receiver", "pps", "{:.1f}"),
]
print(f"\nsoftphoned vs GStreamer: {seconds} s each, 440 Hz tone -> Opus 32 kb/s complexity 10 (20 ms, VoIP, FEC)")
print(f"-> RTP -> SRTP AES_CM_128_HMAC_SHA1_80 -> UDP 127.0.0.1; softphoned runs at complexity 10 here (default 9)")
print(f"so that both encoders do the same work. Steady state = after the first {STARTUP:.0f} s.\n")
print(f"{'':34} {'softphoned':>12} {'GStreamer':>12} {'ratio':>8}")
for label, key, fmt in rows:
    if key is None:
        a, b = ours["cpu"] / ours["wall"] * 100, theirs["cpu"] / theirs["wall"] * 100
    else:
        a, b = ours[key], theirs[key]
    print(f"{label:34} {fmt.format(a):>12} {fmt.format(b):>12} {ratio(a, b):>8}")
print(f"\n(ratio = softphoned / GStreamer; packets received: {ours['packets']} and {theirs['packets']}; "
      f"SRTCP packets: {ours['rtcp']} and {theirs['rtcp']})")
PY
