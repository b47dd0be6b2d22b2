#!/usr/bin/env python3
"""An RFC 4733 DTMF sender built from GStreamer's own elements: rtpdtmfsrc packetises the
events, srtpenc protects them, udpsink sends them. Digits are driven the way applications
drive rtpdtmfsrc: an upstream "dtmf-event" with start=true, then start=false after the
duration. Used by the Swift tests as a far end that softphoned's code had no part in.

    dtmf_sender.py --port P --key HEX --digits 123# [--duration-ms 100] [--gap-ms 100]
                   [--pt 101] [--clock-rate 8000]
"""
import argparse
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True, help="AES_CM_128_HMAC_SHA1_80 key||salt, hex")
    parser.add_argument("--digits", required=True)
    parser.add_argument("--duration-ms", type=int, default=100)
    parser.add_argument("--gap-ms", type=int, default=100)
    parser.add_argument("--pt", type=int, default=101)
    parser.add_argument("--clock-rate", type=int, default=8000)
    args = parser.parse_args()

    Gst.init(None)
    pipeline = Gst.parse_launch(
        f"rtpdtmfsrc pt={args.pt} clock-rate={args.clock_rate} packet-redundancy=1 "
        f"! srtpenc key={args.key} rtp-cipher=aes-128-icm rtp-auth=hmac-sha1-80 "
        f"rtcp-cipher=aes-128-icm rtcp-auth=hmac-sha1-80 "
        f"! udpsink host=127.0.0.1 port={args.port} sync=false async=false")
    pipeline.set_state(Gst.State.PLAYING)
    time.sleep(0.3)

    def event(number, start):
        structure = Gst.Structure.new_from_string(
            f"dtmf-event, type=(int)1, number=(int){number}, volume=(int)10, start=(boolean){'true' if start else 'false'}")
        # Sent to the pipeline, which hands an upstream event to its sources (rtpdtmfsrc).
        return pipeline.send_event(Gst.Event.new_custom(Gst.EventType.CUSTOM_UPSTREAM, structure))

    for digit in args.digits:
        number = EVENTS[digit.upper()]
        if not event(number, True):
            print(f"rtpdtmfsrc refused the start of {digit}", file=sys.stderr)
            return 1
        time.sleep(args.duration_ms / 1000)
        event(number, False)
        time.sleep(args.gap_ms / 1000)
    # The last digit's end packets go out after its stop event.
    time.sleep(0.5)
    pipeline.set_state(Gst.State.NULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
