#!/usr/bin/env bash
# Installs softphoned: binaries, systemd units (user and system) and the example configuration.
#
#   scripts/install.sh [BIN_DIR]
#
# BIN_DIR holds the built softphoned, softphonectl and softphone-api-emulator; by default the
# release build (`swift build -c release --show-bin-path`).
#
# Environment:
#   PREFIX      installation prefix                       (default /usr/local)
#   DESTDIR     staging root prepended to every path      (default empty)
#   SYSCONFDIR  where the system service's configuration lives (default /etc)
#   INSTALL_CONFIG=0  do not create $SYSCONFDIR/softphoned/ (never overwritten anyway)
#
# Layout:
#   $PREFIX/bin/{softphoned,softphonectl,softphone-api-emulator}
#   $PREFIX/lib/systemd/user/softphoned.{service,socket}     (systemctl --user)
#   $PREFIX/lib/systemd/system/softphoned.{service,socket}   (hardened system service)
#   $PREFIX/share/doc/softphoned/softphoned.example.yaml
#   $SYSCONFDIR/softphoned/softphoned.yaml and an empty client-secret (0600), only when absent
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${PREFIX:-/usr/local}"
DESTDIR="${DESTDIR:-}"
SYSCONFDIR="${SYSCONFDIR:-/etc}"
INSTALL_CONFIG="${INSTALL_CONFIG:-1}"

die() { echo "install.sh: $*" >&2; exit 1; }

case "$PREFIX" in /*) ;; *) die "PREFIX must be an absolute path, got '$PREFIX'" ;; esac
case "$SYSCONFDIR" in /*) ;; *) die "SYSCONFDIR must be an absolute path, got '$SYSCONFDIR'" ;; esac
[ $# -le 1 ] || die "usage: scripts/install.sh [BIN_DIR]"

if [ $# -eq 1 ]; then
  bin_src="$1"
else
  bin_src="$(cd "$here" && swift build -c release --show-bin-path)"
fi
[ -d "$bin_src" ] || die "binary directory '$bin_src' does not exist (build with: swift build -c release)"

binaries=(softphoned softphonectl softphone-api-emulator)
for b in "${binaries[@]}"; do
  [ -x "$bin_src/$b" ] || die "'$bin_src/$b' is missing or not executable (build with: swift build -c release)"
done

bindir="$PREFIX/bin"
docdir="$PREFIX/share/doc/softphoned"
userunitdir="$PREFIX/lib/systemd/user"
systemunitdir="$PREFIX/lib/systemd/system"

install -d -m 0755 "$DESTDIR$bindir" "$DESTDIR$docdir" "$DESTDIR$userunitdir" "$DESTDIR$systemunitdir"
for b in "${binaries[@]}"; do
  install -m 0755 "$bin_src/$b" "$DESTDIR$bindir/$b"
done

# Units name the installed binary and documentation, not the staging directory.
substitute() {
  sed -e "s|@BINDIR@|$bindir|g" -e "s|@DOCDIR@|$docdir|g" "$1" > "$2.tmp"
  chmod 0644 "$2.tmp"
  mv -f "$2.tmp" "$2"
}
for u in softphoned.service softphoned.socket; do
  substitute "$here/systemd/$u" "$DESTDIR$userunitdir/$u"
  substitute "$here/systemd/system/$u" "$DESTDIR$systemunitdir/$u"
done

install -m 0644 "$here/config/softphoned.example.yaml" "$DESTDIR$docdir/softphoned.example.yaml"

# The system service reads $SYSCONFDIR/softphoned/softphoned.yaml and loads client-secret as a
# credential (the unit fails to start if that file is missing). Never overwrite either.
confdir="$DESTDIR$SYSCONFDIR/softphoned"
if [ "$INSTALL_CONFIG" = "1" ]; then
  if install -d -m 0755 "$confdir" 2>/dev/null; then
    if [ ! -e "$confdir/softphoned.yaml" ]; then
      # Readable by the service's dynamic user; keep secrets in client-secret or *-file keys.
      install -m 0644 "$here/config/softphoned.example.yaml" "$confdir/softphoned.yaml"
    fi
    if [ ! -e "$confdir/client-secret" ]; then
      install -m 0600 /dev/null "$confdir/client-secret"
    fi
  else
    echo "install.sh: cannot write $confdir; skipped the system configuration" >&2
  fi
fi

cat <<MSG
Installed softphoned under $DESTDIR$PREFIX.
  User service:   systemctl --user daemon-reload && systemctl --user enable --now softphoned.socket
                  config ~/.config/softphoned/softphoned.yaml (example: $docdir/softphoned.example.yaml)
                  secret ~/.config/softphoned/client-secret (must exist; may be empty)
  System service: systemctl daemon-reload && systemctl enable --now softphoned.socket
                  config $SYSCONFDIR/softphoned/softphoned.yaml, secret $SYSCONFDIR/softphoned/client-secret
MSG
