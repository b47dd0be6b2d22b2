#!/usr/bin/python3
"""Connects two test peers' signalling: the offerer's offer goes to the answerer, the answer back.

    pair.py OFFER-COMMAND... -- ANSWER-COMMAND...

Each command is a peer (webrtcbin_peer.py / chromium_peer.py) with its own --role; state lines
are copied to stderr prefixed with the side. Exits with the worse of the two exit codes.
For trying the peers by hand; the Swift tests do the same through WebRTCPeer.
"""

import json
import subprocess
import sys
import threading


def main(argv):
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 64
    split = argv.index("--")
    commands = {"offer": argv[:split], "answer": argv[split + 1:]}
    procs = {side: subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
             for side, cmd in commands.items()}
    other = {"offer": "answer", "answer": "offer"}

    def pump(side):
        for line in procs[side].stdout:
            try:
                message = json.loads(line)
            except ValueError:
                print(f"[{side}] not JSON: {line.rstrip()}", file=sys.stderr)
                continue
            if message.get("type") in ("offer", "answer"):
                print(f"[{side}] -> {message['type']} ({len(message['sdp'])} bytes)", file=sys.stderr)
                target = procs[other[side]]
                try:
                    target.stdin.write(line)
                    target.stdin.flush()
                except BrokenPipeError:
                    pass
            else:
                print(f"[{side}] {line.rstrip()}", file=sys.stderr)

    threads = [threading.Thread(target=pump, args=(side,), daemon=True) for side in procs]
    for t in threads:
        t.start()
    codes = {side: p.wait() for side, p in procs.items()}
    for t in threads:
        t.join(timeout=1)
    print(f"exit codes: {codes}", file=sys.stderr)
    return max(codes.values())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
