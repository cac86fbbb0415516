#!/usr/bin/env bash
# Installs the external tools music-sync's tests and dev workflow need into
# <repo>/.tools (git-ignored). Idempotent: anything already present is skipped.
#
#   bash scripts/install-tools.sh                    # every tool
#   bash scripts/install-tools.sh --cli-only         # only the Temporal CLI
#   bash scripts/install-tools.sh --test-server-only # only the time-skipping test server
#   bash scripts/install-tools.sh --rclone-only      # only rclone
#   bash scripts/install-tools.sh --compose-only     # only Docker Compose
#   bash scripts/install-tools.sh --chromium-only    # only Chromium
#
# Tools:
#   .tools/bin/temporal              Temporal CLI (dev server), built with `go install`
#   .tools/bin/temporal-test-server  Temporal's Java time-skipping test server (wrapper
#                                    script; classpath resolved by Maven into
#                                    .tools/test-server.cp)
#   .tools/bin/rclone                rclone, built with `go install`: the real WebDAV and
#                                    S3 servers the provider tests and the benchmark use
#   .tools/bin/docker-compose        Docker Compose, built from its Go module: the tests check
#                                    docker-compose.yml with `docker-compose config` (skipped
#                                    where `docker compose` or `docker-compose` already works)
#   chromium (system package)        Debian's `chromium`, installed with apt-get as root or with
#                                    passwordless sudo: the browser test of the Temporal Web UI
#                                    (test/webui) drives it; without it that test skips
#
# Environment overrides (tool is skipped if set):
#   TEMPORAL_CLI_PATH          path to an existing `temporal` binary
#   TEMPORAL_TEST_SERVER_PATH  path to an existing test server executable
#   RCLONE_PATH                path to an existing `rclone` binary
#   COMPOSE_PATH               path to an existing `docker-compose` binary
#   CHROMIUM_PATH              path to an existing Chromium or Chrome executable
set -euo pipefail

TEMPORAL_CLI_VERSION="v1.5.1" # newer versions use replace directives and cannot be `go install`ed
# Pinned: the tests rely on what this version's `serve webdav` and `serve s3` answer
# (see src/testing/remote-servers.ts).
RCLONE_VERSION="v1.76.0"
# Newer versions need a newer Go than 1.26.8.
COMPOSE_VERSION="v5.6.0"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$REPO/.tools"
BIN="$TOOLS/bin"

log() { echo "install-tools: $*"; }
die() { echo "install-tools: ERROR: $*" >&2; exit 1; }

want_cli=1
want_test_server=1
want_rclone=1
want_compose=1
want_chromium=1
for arg in "$@"; do
  case "$arg" in
    --cli-only) want_test_server=0; want_rclone=0; want_compose=0; want_chromium=0 ;;
    --test-server-only) want_cli=0; want_rclone=0; want_compose=0; want_chromium=0 ;;
    --rclone-only) want_cli=0; want_test_server=0; want_compose=0; want_chromium=0 ;;
    --compose-only) want_cli=0; want_test_server=0; want_rclone=0; want_chromium=0 ;;
    --chromium-only) want_cli=0; want_test_server=0; want_rclone=0; want_compose=0 ;;
    -h|--help) sed -n '2,31p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $arg (expected --cli-only, --test-server-only, --rclone-only, --compose-only or --chromium-only)" ;;
  esac
done
if [ "$want_cli" = 0 ] && [ "$want_test_server" = 0 ] && [ "$want_rclone" = 0 ] && [ "$want_compose" = 0 ] && [ "$want_chromium" = 0 ]; then
  die "--cli-only, --test-server-only, --rclone-only, --compose-only and --chromium-only are mutually exclusive"
fi

mkdir -p "$BIN"

install_cli() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -x "$TEMPORAL_CLI_PATH" ]; then
    log "temporal CLI: using TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH (skip)"
    return
  fi
  if [ -x "$BIN/temporal" ]; then
    log "temporal CLI: already installed at $BIN/temporal (skip)"
    return
  fi
  if command -v temporal >/dev/null 2>&1; then
    log "temporal CLI: found on PATH at $(command -v temporal) (skip)"
    return
  fi
  if ! command -v go >/dev/null 2>&1; then
    die "temporal CLI not found and Go is not installed.
  Install Go (https://go.dev/dl/) and re-run, or install the Temporal CLI yourself
  (https://docs.temporal.io/cli) and put it on PATH or set TEMPORAL_CLI_PATH."
  fi
  log "temporal CLI: building github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION with $(go version | awk '{print $3}')"
  log "temporal CLI: this compiles the whole Temporal server and can take several minutes (10+ on 2 cores)..."
  local started=$SECONDS
  GOBIN="$BIN" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" \
    || die "go install of the Temporal CLI failed"
  [ -x "$BIN/temporal" ] || die "go install finished but $BIN/temporal is missing"
  log "temporal CLI: installed $BIN/temporal in $((SECONDS - started))s"
}

install_test_server() {
  local cp_file="$TOOLS/test-server.cp"
  local wrapper="$BIN/temporal-test-server"
  if [ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ]; then
    log "test server: using TEMPORAL_TEST_SERVER_PATH=$TEMPORAL_TEST_SERVER_PATH (skip)"
    return
  fi
  if [ -x "$wrapper" ] && [ -s "$cp_file" ]; then
    log "test server: already installed at $wrapper (skip)"
    return
  fi
  command -v java >/dev/null 2>&1 || die "Java is required for Temporal's time-skipping test server but 'java' was not found.
  Install a JRE (17+), e.g. 'apt-get install openjdk-17-jre-headless', or set TEMPORAL_TEST_SERVER_PATH."
  command -v mvn >/dev/null 2>&1 || die "Maven is required to fetch Temporal's test server but 'mvn' was not found.
  Install Maven, e.g. 'apt-get install maven', or set TEMPORAL_TEST_SERVER_PATH."

  log "test server: resolving io.temporal:temporal-test-server from Maven Central (scripts/test-server/pom.xml)..."
  local tmp_cp="$cp_file.tmp.$$"
  # Maven's output is kept in a log and shown only on failure (Maven 3.8 prints
  # stray ANSI escapes even with -q).
  local mvn_log="$TOOLS/mvn-test-server.log"
  if ! mvn -q -B -Dstyle.color=never -f "$REPO/scripts/test-server/pom.xml" dependency:build-classpath \
      -Dmdep.outputFile="$tmp_cp" >"$mvn_log" 2>&1; then
    cat "$mvn_log" >&2
    rm -f "$tmp_cp"
    die "mvn dependency:build-classpath failed (log: $mvn_log)"
  fi
  [ -s "$tmp_cp" ] || { rm -f "$tmp_cp"; die "mvn produced an empty classpath"; }
  mv -f "$tmp_cp" "$cp_file"

  # `exec` so that signals (including SIGKILL from the test harness) hit the JVM directly.
  local tmp_wrapper="$wrapper.tmp.$$"
  cat >"$tmp_wrapper" <<WRAPPER
#!/bin/sh
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -cp "\$(cat '$cp_file')" io.temporal.testserver.TestServer "\$@"
WRAPPER
  chmod +x "$tmp_wrapper"
  mv -f "$tmp_wrapper" "$wrapper"
  log "test server: installed $wrapper"
}

install_rclone() {
  if [ -n "${RCLONE_PATH:-}" ] && [ -x "$RCLONE_PATH" ]; then
    log "rclone: using RCLONE_PATH=$RCLONE_PATH (skip)"
    return
  fi
  if [ -x "$BIN/rclone" ]; then
    log "rclone: already installed at $BIN/rclone (skip)"
    return
  fi
  # The PATH's rclone only without Go: a distribution's rclone is often older than `serve s3`.
  if ! command -v go >/dev/null 2>&1; then
    if command -v rclone >/dev/null 2>&1; then
      log "rclone: Go is not installed; using $(command -v rclone) ($(rclone version 2>/dev/null | head -1)), tested with $RCLONE_VERSION"
      return
    fi
    die "rclone not found and Go is not installed.
  Install Go (https://go.dev/dl/) and re-run, or point RCLONE_PATH at an rclone $RCLONE_VERSION binary."
  fi
  log "rclone: building github.com/rclone/rclone@$RCLONE_VERSION with $(go version | awk '{print $3}')"
  log "rclone: this compiles rclone and all its backends and can take several minutes (4+ on 2 cores)..."
  local started=$SECONDS
  GOBIN="$BIN" go install "github.com/rclone/rclone@$RCLONE_VERSION" \
    || die "go install of rclone failed"
  [ -x "$BIN/rclone" ] || die "go install finished but $BIN/rclone is missing"
  log "rclone: installed $BIN/rclone in $((SECONDS - started))s"
}

install_compose() {
  if [ -n "${COMPOSE_PATH:-}" ] && [ -x "$COMPOSE_PATH" ]; then
    log "docker compose: using COMPOSE_PATH=$COMPOSE_PATH (skip)"
    return
  fi
  if [ -x "$BIN/docker-compose" ]; then
    log "docker compose: already installed at $BIN/docker-compose (skip)"
    return
  fi
  if docker compose version >/dev/null 2>&1; then
    log "docker compose: the Docker CLI's compose plugin works (skip)"
    return
  fi
  if docker-compose version >/dev/null 2>&1; then
    log "docker compose: found on PATH at $(command -v docker-compose) (skip)"
    return
  fi
  if ! command -v go >/dev/null 2>&1; then
    die "Docker Compose not found and Go is not installed.
  Install Go (https://go.dev/dl/) and re-run, or install Docker Compose yourself
  (https://docs.docker.com/compose/install/) and put it on PATH or set COMPOSE_PATH."
  fi
  local module="github.com/docker/compose/v5"
  log "docker compose: building $module@$COMPOSE_VERSION with $(go version | awk '{print $3}')"
  log "docker compose: this compiles Compose and the Docker client libraries and can take several minutes (4+ on 2 cores)..."
  local started=$SECONDS
  # `go install module@version` refuses Compose (its go.mod has exclude directives), so it is built
  # inside its downloaded module, where go.mod and go.sum apply as in Compose's own build.
  (cd "$TOOLS" && go mod download "$module@$COMPOSE_VERSION") || die "go mod download of $module@$COMPOSE_VERSION failed"
  local dir
  dir="$(go env GOMODCACHE)/$module@$COMPOSE_VERSION"
  [ -d "$dir" ] || die "go mod download finished but $dir is missing"
  (cd "$dir" && go build -trimpath -ldflags "-w -X $module/internal.Version=$COMPOSE_VERSION" -o "$BIN/docker-compose" ./cmd) \
    || die "go build of Docker Compose failed"
  [ -x "$BIN/docker-compose" ] || die "go build finished but $BIN/docker-compose is missing"
  log "docker compose: installed $BIN/docker-compose in $((SECONDS - started))s"
}

install_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    log "chromium: using CHROMIUM_PATH=$CHROMIUM_PATH (skip)"
    return
  fi
  if command -v chromium >/dev/null 2>&1; then
    log "chromium: found on PATH at $(command -v chromium) (skip)"
    return
  fi
  # As root, apt-get runs as it is; otherwise through passwordless sudo, if there is one.
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo="none"; fi
  fi
  # A missing browser is not fatal: only the Web UI test needs it, and it skips saying why.
  if [ "$sudo" = none ] || ! command -v apt-get >/dev/null 2>&1; then
    log "chromium: not installed, and this script installs it only with apt-get as root (or passwordless
  sudo); the Web UI browser test (test/webui) will skip. Install Chromium (or Chrome) yourself and put
  'chromium' on PATH or set CHROMIUM_PATH."
    return
  fi
  log "chromium: installing Debian's chromium with apt-get (about 230 MB with its libraries, a minute or so)..."
  local started=$SECONDS
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
      || ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null; then
    log "chromium: apt-get could not install chromium (its errors are above); the Web UI browser test (test/webui) will skip"
    return
  fi
  log "chromium: installed $(command -v chromium) in $((SECONDS - started))s"
}

log "installing into $TOOLS"
if [ "$want_cli" = 1 ]; then install_cli; fi
if [ "$want_test_server" = 1 ]; then install_test_server; fi
if [ "$want_rclone" = 1 ]; then install_rclone; fi
if [ "$want_compose" = 1 ]; then install_compose; fi
if [ "$want_chromium" = 1 ]; then install_chromium; fi
log "done"
