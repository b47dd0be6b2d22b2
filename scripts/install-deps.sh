#!/usr/bin/env bash
# Installs the Debian packages softphoned needs to build, test and run its demo.
# Only what is missing is installed; uses sudo when not root.
set -euo pipefail
PKGS=(pkg-config libopus-dev libsrtp2-dev libasound2-dev libasound2-plugins alsa-utils
      pulseaudio pulseaudio-utils
      gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
      ffmpeg sox util-linux systemd jq
      # WebRTC far ends for the tests (Tests/Peers): webrtcbin with libnice, headless Chromium, coturn.
      gstreamer1.0-nice python3-gi python3-gst-1.0 gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
      gir1.2-gst-plugins-bad-1.0 chromium chromium-driver coturn
      # ICE and DTLS-SRTP for softphoned itself.
      libssl-dev libnice-dev
      # G.711/G.722 with loss concealment, the resampler, and GStreamer's G.722 decoder for the tests.
      libspandsp-dev libspeexdsp-dev gstreamer1.0-libav
      # SIP peers for the tests (Sources/SIPTestPeers): kamailio registrar/proxy, baresip and linphonec far ends.
      kamailio kamailio-tls-modules baresip-core linphone-cli)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
