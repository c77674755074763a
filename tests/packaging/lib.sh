# Shell helpers of the packaging tests: a private mosquitto on a free loopback port, a status
# watcher, a systemd notification listener, and waiting for a line in a file. Source it.

# Prints a TCP port on 127.0.0.1 that nothing listened on a moment ago (never 1883).
free_port() {
    python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_broker DIR: starts mosquitto on a free port; sets BROKER_PORT and BROKER_PID.
start_broker() {
    local dir=$1
    BROKER_PORT=$(free_port)
    cat > "$dir/mosquitto.conf" <<CONF
listener $BROKER_PORT 127.0.0.1
allow_anonymous true
persistence false
log_dest file $dir/mosquitto.log
CONF
    mosquitto -c "$dir/mosquitto.conf" >/dev/null 2>&1 &
    BROKER_PID=$!
    local _
    for _ in $(seq 1 100); do
        if mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -t hypnic-test/ping -m x 2>/dev/null; then return 0; fi
        kill -0 "$BROKER_PID" 2>/dev/null || { echo "mosquitto exited at start:"; cat "$dir/mosquitto.log"; return 1; }
        sleep 0.1
    done
    echo "mosquitto did not accept connections on port $BROKER_PORT" >&2
    return 1
}

# watch_topic FILE TOPIC: mosquitto_sub writes "topic payload" lines to FILE; sets WATCH_PID.
watch_topic() {
    mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -v -t "$2" > "$1" 2>&1 &
    WATCH_PID=$!
}

# listen_notify SOCKET FILE: a unix datagram socket that appends each message systemd's
# sd_notify protocol would deliver to FILE (one message, then a line "--"); sets NOTIFY_PID.
listen_notify() {
    python3 - "$1" "$2" <<'PY' &
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o777)  # the daemon may run as another user, as under DynamicUser=yes
open(out, "w").close()
while True:
    msg = s.recv(4096).decode("utf-8", "replace")
    with open(out, "a") as f:
        f.write(msg + "\n--\n")
PY
    NOTIFY_PID=$!
    local _
    for _ in $(seq 1 50); do [ -S "$1" ] && return 0; sleep 0.1; done
    echo "the notification socket $1 did not appear" >&2
    return 1
}

# wait_for FILE TEXT SECONDS: true once FILE contains the line TEXT (fixed string, whole line).
wait_for() {
    local _
    for _ in $(seq 1 $(($3 * 10))); do
        grep -qxF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "no line '$2' in $1 after $3 s; it has:" >&2
    cat "$1" >&2 || true
    return 1
}

# stop_pid PID...: SIGTERM, then SIGKILL what is still running a second later.
stop_pid() {
    local p
    for p in "$@"; do if [ -n "$p" ]; then kill "$p" 2>/dev/null || true; fi; done
    sleep 0.2
    for p in "$@"; do if [ -n "$p" ]; then kill -9 "$p" 2>/dev/null || true; fi; done
    return 0
}

# stop_broker: ends what start_broker, watch_topic and listen_notify started.
stop_broker() { stop_pid "${WATCH_PID:-}" "${NOTIFY_PID:-}" "${BROKER_PID:-}"; }

# service_config SRC DEST STATE_DIR: the configuration SRC pointed at the private broker and STATE_DIR.
service_config() {
    sed -e "s|^  url: .*|  url: tcp://127.0.0.1:$BROKER_PORT|" -e "s|^state_dir: .*|state_dir: $3|" "$1" > "$2"
    grep -q "127.0.0.1:$BROKER_PORT" "$2" || { echo "service_config: no 'url:' line in $1" >&2; return 1; }
}

# service_cycle WORK CONFIG CMD...: runs CMD (hypnicd run, perhaps under setpriv) the way the systemd
# unit does: NOTIFY_SOCKET and JOURNAL_STREAM set, stderr to the "journal" WORK/journal. Checks
# READY after `online`, a SIGHUP reload, and SIGTERM: exit 0, `offline`, STOPPING.
service_cycle() {
    local work=$1 config=$2
    shift 2
    : > "$work/journal"
    chmod 666 "$work/journal"
    listen_notify "$work/notify.sock" "$work/notify" || return 1
    watch_topic "$work/status" hypnic/status
    local stream
    stream=$(stat -c '%d:%i' "$work/journal")
    NOTIFY_SOCKET=$work/notify.sock JOURNAL_STREAM=$stream "$@" run --config "$config" 2>> "$work/journal" &
    local pid=$!
    wait_for "$work/status" "hypnic/status online" 20 || { cat "$work/journal"; return 1; }
    wait_for "$work/notify" "READY=1" 10 || return 1
    echo "service: online, READY=1 sent"
    kill -HUP "$pid"
    wait_for "$work/notify" "RELOADING=1" 10 || return 1
    local _
    for _ in $(seq 1 100); do [ "$(grep -cxF READY=1 "$work/notify")" -ge 2 ] && break; sleep 0.1; done
    [ "$(grep -cxF READY=1 "$work/notify")" -ge 2 ] || { echo "no READY=1 after the reload" >&2; return 1; }
    echo "service: SIGHUP reloaded (RELOADING=1, READY=1)"
    kill -TERM "$pid"
    local rc=0
    wait "$pid" || rc=$?
    [ "$rc" -eq 0 ] || { echo "hypnicd exited with $rc after SIGTERM:" >&2; cat "$work/journal" >&2; return 1; }
    wait_for "$work/status" "hypnic/status offline" 10 || return 1
    wait_for "$work/notify" "STOPPING=1" 5 || return 1
    echo "service: SIGTERM -> exit 0, offline, STOPPING=1"
    # journald reads the priority from "<N>" and strips it: every line must carry one.
    if grep -vqE '^<[0-7]>(trace|debug|info|warning|error|critical): ' "$work/journal"; then
        echo "log lines without a syslog priority prefix:" >&2
        grep -vE '^<[0-7]>(trace|debug|info|warning|error|critical): ' "$work/journal" >&2
        return 1
    fi
    grep -qE '^<6>info: ' "$work/journal" || { echo "no <6>info line in the journal" >&2; cat "$work/journal" >&2; return 1; }
    echo "service: $(wc -l < "$work/journal") journal lines, each with its priority"
    stop_pid "$WATCH_PID" "$NOTIFY_PID"
    WATCH_PID='' NOTIFY_PID=''
    rm -f "$work/notify.sock"
}
