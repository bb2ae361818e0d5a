#!/usr/bin/env bash
# setup.sh - make a fresh machine ready: system packages, npm dependencies,
# the native build (libsigsys.so, sigsys.node, C tests) and the TypeScript
# build.  Safe to run again; each step skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

# System packages.  libseccomp-dev gives the static libseccomp.a the addon links;
# prometheus (server + promtool) is used by the tests and by deploy/ checks.
need_pkgs=()
[ -f /usr/include/seccomp.h ] || need_pkgs+=(libseccomp-dev)
command -v prometheus >/dev/null 2>&1 || need_pkgs+=(prometheus)
command -v cmake >/dev/null 2>&1 || need_pkgs+=(cmake)
command -v g++ >/dev/null 2>&1 || need_pkgs+=(g++)
command -v mvn >/dev/null 2>&1 || need_pkgs+=(maven)
# musl-tools (musl-gcc, the musl loader), Go (static and cgo), a JDK and python3:
# the tests build and run such workloads under the preload and the launcher
# (preload-musl-*, test/run-musl.test.ts, test/run-go-preload.test.ts,
# native/tests/live_launcher.c, test/launcher.test.ts, test/confinement-matrix.test.ts).
command -v musl-gcc >/dev/null 2>&1 || need_pkgs+=(musl-tools)
command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] || need_pkgs+=(golang-go)
command -v javac >/dev/null 2>&1 || need_pkgs+=(default-jdk-headless)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
# useradd/userdel: test/spool-security.test.ts plays an unprivileged neighbour with a real account.
command -v useradd >/dev/null 2>&1 || need_pkgs+=(passwd)
# The HTML report's browser test (playwright-core drives Debian's chromium)
# and the Alertmanager example's check (amtool).
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
command -v amtool >/dev/null 2>&1 || need_pkgs+=(prometheus-alertmanager)
# strace: test/learn-programs.test.ts checks a learned profile against `strace -f -c`
# of the same run, and bench/learn compares learning with strace -f.
command -v strace >/dev/null 2>&1 || need_pkgs+=(strace)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  log "installing Debian packages: ${need_pkgs[*]}"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# npm dependencies (lockfile when present).
if [ ! -d node_modules ] || [ package.json -nt node_modules ] || { [ -f package-lock.json ] && [ package-lock.json -nt node_modules ]; }; then
  log "installing npm dependencies"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund >/dev/null; else npm install --no-audit --no-fund >/dev/null; fi
  touch node_modules
fi

log "deploy check tools (kustomize, kubernetes-validate, hadolint, yamllint)"
bash scripts/deploy-tools.sh

log "building native code (cmake-js)"
mkdir -p build; npx --no-install cmake-js build --directory native --out build/native --log-level error >build/native-build.log 2>&1 || {
  mkdir -p build; cat build/native-build.log >&2 || true; log "native build failed (log above)"; exit 1; }

log "building TypeScript"
npx --no-install tsc -p tsconfig.json
chmod +x dist/cli/main.js 2>/dev/null || true
log "ready: node dist/cli/main.js --help"
