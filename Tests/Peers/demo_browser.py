#!/usr/bin/python3
"""Joins `softphoned --demo`'s browser page in headless Chromium and reports what the page shows.

    demo_browser.py --url http://127.0.0.1:PORT/ --softphonectl PATH --socket PATH [--report FILE]

Clicks "Join the call", waits until the page is connected and hears the agent's tone, then
mutes the agent with `softphonectl mute --mode disable` and unmutes it, each time waiting
for the page to show the event and the new state, and leaves. Every 100 ms the page's
`window.demo` is sampled; the report (JSON, stdout or --report) has the phases' results and
the samples. Exit status 0 when every phase was seen, 2 when one was not (the report says
which), 3 when Chromium or chromedriver is missing.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from chromium_peer import WebDriverError, start_browser, stop_browser  # noqa: E402

AGENT_TONE_HZ = 440.0


class Page:
    def __init__(self, driver):
        self.driver = driver
        self.t0 = time.monotonic()
        self.samples = []

    def sample(self):
        state = self.driver.run("return window.demo;") or {}
        self.samples.append({"t": round(time.monotonic() - self.t0, 2), **{k: v for k, v in state.items() if k != "events"},
                             "events": len(state.get("events", []))})
        return state

    def wait(self, timeout, condition):
        """Samples until `condition(state)` holds; returns the state, or None after `timeout` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.sample()
            if condition(state):
                return state
            time.sleep(0.1)
        return None


def hears_agent(state, tolerance):
    hz = state.get("heardHz")
    return hz is not None and abs(hz - AGENT_TONE_HZ) <= tolerance


def last_seq(state):
    return max((e.get("seq", 0) for e in state.get("events", [])), default=0)


def event_after(state, kind, seq):
    return next((e for e in state.get("events", []) if e.get("type") == kind and e.get("seq", 0) > seq), None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--softphonectl", required=True)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--report")
    parser.add_argument("--connect-timeout", type=float, default=15)
    parser.add_argument("--tolerance-hz", type=float, default=6)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="softphoned-demo-browser-")
    driver_log = os.path.join(scratch, "chromedriver.log")
    report = {"phases": {}, "errors": []}
    phases = report["phases"]
    driver = chromedriver = None

    def control(*words):
        started = time.monotonic()
        done = subprocess.run([args.softphonectl, "--socket", args.socket, *words], capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            report["errors"].append(f"softphonectl {' '.join(words)}: {done.returncode} {done.stderr.strip()}")
        return started

    try:
        try:
            driver, chromedriver = start_browser(scratch, driver_log)
        except WebDriverError as error:
            if "missing" in str(error):
                print(error, file=sys.stderr)
                return 3
            raise
        driver.navigate(args.url)
        page = Page(driver)
        if page.wait(5, lambda s: s.get("muted") is not None) is None:
            report["errors"].append("the page never showed the status from /events")
        joined = time.monotonic()
        driver.run("document.getElementById('join').click();")
        state = page.wait(args.connect_timeout, lambda s: s.get("connection") == "connected" and hears_agent(s, args.tolerance_hz))
        if state is None:
            report["errors"].append("not connected and hearing the agent's tone in time")
        else:
            phases["connected"] = {"seconds": round(time.monotonic() - joined, 2), "heard_hz": state["heardHz"],
                                   "level_dbfs": state["levelDb"]}
            before = last_seq(state)
            started = control("mute", "--mode", "disable")
            state = page.wait(5, lambda s: event_after(s, "mute", before) is not None and s.get("muted") is True)
            if state is None:
                report["errors"].append("the page did not show the mute")
            else:
                phases["muted"] = {"seconds": round(time.monotonic() - started, 2), "event": event_after(state, "mute", before),
                                   "shown": {k: state.get(k) for k in ("muted", "mode", "source")}}
                # Disable mode sends no RTP: what the page hears falls silent.
                quiet = page.wait(3, lambda s: s.get("heardHz") is None)
                phases["muted"]["fell_silent"] = quiet is not None
                before = last_seq(state)
                started = control("unmute")
                state = page.wait(5, lambda s: event_after(s, "unmute", before) is not None and s.get("muted") is False)
                if state is None:
                    report["errors"].append("the page did not show the unmute")
                else:
                    phases["unmuted"] = {"seconds": round(time.monotonic() - started, 2),
                                         "event": event_after(state, "unmute", before),
                                         "shown": {k: state.get(k) for k in ("muted", "mode", "source")}}
                    heard = page.wait(5, lambda s: hears_agent(s, args.tolerance_hz))
                    phases["unmuted"]["hears_again_hz"] = heard["heardHz"] if heard else None
        driver.run("document.getElementById('leave').click();")
        state = page.sample()
        report["page_errors"] = state.get("errors", [])
        report["events"] = state.get("events", [])
        report["samples"] = page.samples
    except (WebDriverError, OSError, subprocess.SubprocessError) as error:
        report["errors"].append(str(error))
    finally:
        stop_browser(driver, chromedriver)
        if report["errors"] and os.path.exists(driver_log):
            with open(driver_log, errors="replace") as f:
                report["chromedriver_log_tail"] = f.read()[-2000:]
        shutil.rmtree(scratch, ignore_errors=True)
    text = json.dumps(report, indent=1)
    if args.report:
        with open(args.report, "w") as f:
            f.write(text)
    else:
        print(text)
    complete = all(name in phases for name in ("connected", "muted", "unmuted")) and not report["errors"]
    return 0 if complete else 2


if __name__ == "__main__":
    sys.exit(main())
