"""Analysis of the audio a WebRTC test peer received, shared by both peers.

Both peers (GStreamer's webrtcbin and headless Chromium) hand their decoded PCM to the same
functions, so a test compares the same figures whichever peer it ran. Pure Python (no numpy on
the test machines): a Goertzel scan finds the dominant frequency in well under a second.
"""

import math

#: Window of the RMS series, the Opus frame length WebRTC endpoints send.
RMS_WINDOW_MS = 20


def rms_windows(samples, rate, window_ms=RMS_WINDOW_MS):
    """RMS of consecutive windows, relative to full scale (1.0 = a full-scale square wave).

    A window of digital zeros gives exactly 0.0, so a test can tell silence-mute (zeros sent)
    from quiet audio.
    """
    size = max(1, rate * window_ms // 1000)
    out = []
    for start in range(0, len(samples) - size + 1, size):
        window = samples[start:start + size]
        total = 0
        for s in window:
            total += s * s
        out.append(round(math.sqrt(total / size) / 32768.0, 6))
    return out


def _goertzel_power(samples, rate, frequency):
    coeff = 2.0 * math.cos(2.0 * math.pi * frequency / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def dominant_frequency(samples, rate, low=50.0, high=4000.0, skip_seconds=0.2):
    """The frequency (Hz) with the most energy between `low` and `high`, or None for silence.

    Coarse scan in 10 Hz steps over 2048 samples, then 0.25 Hz steps within ±12 Hz over up to
    0.25 s with a parabolic fit of the peak: a clean tone comes out within a fraction of a hertz.
    The first `skip_seconds` (decoder and jitter-buffer start-up) are left out when there is
    enough audio.
    """
    skip = int(rate * skip_seconds)
    if len(samples) - skip < rate // 10:
        skip = 0
    segment = samples[skip:skip + rate // 4]
    if len(segment) < 512:
        return None
    mean_square = sum(s * s for s in segment) / len(segment)
    if mean_square < 1.0:  # below 1 LSB RMS: nothing there
        return None
    coarse = segment[:2048]
    best = max((f for f in _frange(low, high, 10.0)), key=lambda f: _goertzel_power(coarse, rate, f))
    steps = list(_frange(max(low, best - 12.0), min(high, best + 12.0), 0.25))
    powers = [_goertzel_power(segment, rate, f) for f in steps]
    i = max(range(len(powers)), key=powers.__getitem__)
    if 0 < i < len(powers) - 1:
        a, b, c = powers[i - 1], powers[i], powers[i + 1]
        denominator = a - 2 * b + c
        offset = 0.5 * (a - c) / denominator if denominator != 0 else 0.0
        return round(steps[i] + offset * 0.25, 2)
    return round(steps[i], 2)


def _frange(start, stop, step):
    value = start
    while value <= stop + 1e-9:
        yield value
        value += step


def audio_summary(samples, rate):
    """The audio part of a peer's report."""
    rms = rms_windows(samples, rate)
    return {
        "sample_rate": rate,
        "received_seconds": round(len(samples) / rate, 3) if rate else 0.0,
        "dominant_hz": dominant_frequency(samples, rate),
        # The last half second: what was heard after a change mid-call (an unmute).
        "dominant_hz_end": dominant_frequency(samples[-(rate // 2):], rate, skip_seconds=0) if rate else None,
        "rms_window_ms": RMS_WINDOW_MS,
        "rms": rms,
        "zero_windows": sum(1 for r in rms if r == 0.0),
        "peak": max((abs(s) for s in samples), default=0),
    }
