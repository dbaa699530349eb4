# tgmon hooks for a TightGate-Pro node's update tooling (docs/appliance.rst).
#
# Source this file from the update scripts and call one function per event of
# the update lifecycle; each keeps the state dir the checks read up to date
# through "tgmon state" (atomic, locked, validated: a refused write changes
# nothing and exits 2 with one line on stderr). POSIX sh.
#
#   . /usr/share/doc/tgmon/examples/appliance/tgmon-hooks.sh
#   tgmon_run_begins scheduled
#
# TGMON      the tgmon command (default /usr/bin/tgmon)
# STATE_DIR  the state dir (default /var/lib/tgmon)
# ROLE       single or cluster-node: what tgmon_setup made this node

TGMON=${TGMON:-/usr/bin/tgmon}
STATE_DIR=${STATE_DIR:-/var/lib/tgmon}
ROLE=${ROLE:-single}

tgmon_now() { date +%Y-%m-%dT%H:%M:%S%:z; }

# a shell string as a JSON string that tgmon state accepts: valid UTF-8 (invalid
# bytes dropped), one printable line (line breaks, control, bidi and zero-width
# characters become spaces), at most 1000 characters, quotes and backslashes
# escaped. "tgmon_json TEXT ascii": printable ASCII only, whatever the text held -
# the second try where a record must be written whatever its reason.
tgmon_json() {
    if [ "$2" = ascii ]; then
        text=$(printf '%s' "$1" | LC_ALL=C tr -c '[:print:]' ' ')
    else
        text=$(printf '%s' "$1" | iconv -f UTF-8 -t UTF-8 -c 2>/dev/null | tr '\n' ' ' |
               LC_ALL=C.UTF-8 sed -e 's/[^[:print:]]/ /g' -e "s/$TGMON_INVISIBLE/ /g")
    fi
    printf '"%s"' "$(printf '%s\n' "$text" | LC_ALL=C.UTF-8 sed \
        -e 's/^\(.\{1000\}\).*/\1/' -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}
# format characters [:print:] lets through: soft hyphen, zero-width and bidi
# controls (U+00AD, U+200B-U+200F, U+202A-U+202E, U+2060-U+206F, U+FEFF)
TGMON_INVISIBLE=$(printf '[\302\255\342\200\213\342\200\214\342\200\215\342\200\216\342\200\217\342\200\252\342\200\253\342\200\254\342\200\255\342\200\256\342\201\240\342\201\241\342\201\242\342\201\243\342\201\244\342\201\245\342\201\246\342\201\247\342\201\250\342\201\251\342\201\252\342\201\253\342\201\254\342\201\255\342\201\256\342\201\257\357\273\277]')

tgmon_update() { "$TGMON" state update "$STATE_DIR" --json -; }

# Once, when the node is set up: NODE ROLE CLUSTER(or -) INSTALLED-RELEASE
tgmon_setup() {
    if [ "$2" = cluster-node ]; then
        "$TGMON" state init "$STATE_DIR" --node "$1" --role cluster-node --cluster "$3" \
            --installed "$4"
    else
        "$TGMON" state init "$STATE_DIR" --node "$1" --role single --installed "$4"
    fi
}

# The admin's scheduled-update settings (admin update): DOWNLOAD-DAY START END UPDATE-DAY START
tgmon_schedule_set() {
    tgmon_update <<JSON
{"schedule": {"download": {"active": true, "weekday": "$1", "start": "$2", "end": "$3"},
              "update": {"active": true, "weekday": "$4", "start": "$5"},
              "disabled_by_failure": null}}
JSON
}

# R2: the daily contact with the update server: ok|failed
tgmon_server_checked() {
    t=$(tgmon_now)
    if [ "$1" = ok ]; then
        tgmon_update <<JSON
{"update_server": {"last_check": "$t", "last_check_ok": true, "last_successful_check": "$t"}}
JSON
    else
        tgmon_update <<JSON
{"update_server": {"last_check": "$t", "last_check_ok": false}}
JSON
    fi
}

# A new release on the update server: VERSION RELEASED(ISO-8601) KERNEL(true|false)
tgmon_release_available() {
    tgmon_update <<JSON
{"releases": {"available": [{"version": "$1", "released": "$2", "kernel_update": $3}]}}
JSON
}

# R5: a download attempt failed: ATTEMPT (1-10 of the round) REASON.
# The tenth failure of a round sets the warn flag "Update download failed".
tgmon_download_failed() {
    if [ "$1" -ge 10 ]; then
        "$TGMON" state set-flag "$STATE_DIR" warn-flag --reason "Update download failed" \
            --line "$1 download attempts failed: $2"
    fi
}

# A complete download clears the warn flag by itself (R8).
tgmon_download_complete() {
    "$TGMON" state clear-flag "$STATE_DIR" warn-flag &&
    tgmon_update <<JSON
{"update_server": {"last_complete_download": "$(tgmon_now)"}}
JSON
}

# R4/R11: an update run begins (scheduled: 1 h before the update start;
# auto-update: now): maintenance on, a cluster node out of load balancing.
tgmon_run_begins() {
    t=$(tgmon_now)
    cluster=""
    [ "$ROLE" = cluster-node ] && cluster='"cluster": {"in_load_balancing": false},'
    tgmon_update <<JSON
{$cluster
 "maintenance": {"active": true, "since": "$t", "reason": "$1 update"},
 "last_update_run": {"kind": "$1", "start": "$t", "end": null, "result": null,
                     "message": null}}
JSON
}

# R12: the installation starts: the logged-in users are disconnected.
tgmon_install_starts() {
    tgmon_update <<JSON
{"active_sessions": 0}
JSON
}

# The run ended well: ok|no-updates [INSTALLED-VERSION]
tgmon_run_done() {
    t=$(tgmon_now)
    cluster="" release=""
    [ "$ROLE" = cluster-node ] && cluster='"cluster": {"in_load_balancing": true},'
    [ -n "$2" ] && release="\"releases\": {\"installed\": \"$2\", \"installed_at\": \"$t\", \"available\": []},"
    tgmon_update <<JSON
{$cluster $release
 "maintenance": {"active": false, "since": null, "reason": null, "only_maint_may_end": false},
 "last_update_run": {"end": "$t", "result": "$1"}}
JSON
}

# R6/R7/R9: the run failed for good: REASON. The update lock is set, scheduled
# operation is switched off, the node stays in maintenance until admin maint ends it.
tgmon_run_failed() {
    "$TGMON" state set-flag "$STATE_DIR" update-lock --reason "scheduled update failed: $1" &&
    { _tgmon_failure_record "$(tgmon_json "$1")" 2>/dev/null ||
      _tgmon_failure_record "$(tgmon_json "$1" ascii)"; }
}

# the record of a failed run: REASON as a JSON string
_tgmon_failure_record() {
    t=$(tgmon_now)
    tgmon_update <<JSON
{"schedule": {"download": {"active": false}, "update": {"active": false},
              "disabled_by_failure": {"since": "$t", "reason": $1}},
 "maintenance": {"only_maint_may_end": true, "reason": $1},
 "last_update_run": {"end": "$t", "result": "failed", "message": $1}}
JSON
}

# R13: an Auto-Update installed a kernel: the node waits for a reboot: PACKAGE...
tgmon_reboot_needed() {
    args=""
    for package in "$@"; do args="$args --line $package"; done
    # shellcheck disable=SC2086
    "$TGMON" state set-flag "$STATE_DIR" reboot-required $args
}

# The node is up again after a reboot.
tgmon_booted() { "$TGMON" state clear-flag "$STATE_DIR" reboot-required; }

# Admin update "Remove update lock" (R10).
tgmon_lock_removed() { "$TGMON" state clear-flag "$STATE_DIR" update-lock; }

# Admin maint ends the maintenance mode (R7, R14).
tgmon_maintenance_ended() {
    cluster=""
    [ "$ROLE" = cluster-node ] && cluster='"cluster": {"in_load_balancing": true},'
    tgmon_update <<JSON
{$cluster
 "maintenance": {"active": false, "since": null, "reason": null,
                 "only_maint_may_end": false, "planned": null}}
JSON
}

# Admin maint plans a maintenance (R14): START END(ISO-8601, or -) REASON
tgmon_maintenance_planned() {
    end=null
    [ "$2" != - ] && end="\"$2\""
    tgmon_update <<JSON
{"maintenance": {"planned": {"start": "$1", "end": $end, "reason": $(tgmon_json "$3")}}}
JSON
}

# The number of logged-in user sessions, from the session manager's own loop.
tgmon_sessions() {
    tgmon_update <<JSON
{"active_sessions": $1}
JSON
}

# The heartbeat: call it from the update tooling's own loop (every few minutes),
# where the tooling knows its state is current - never from a blind timer.
tgmon_alive() { "$TGMON" state heartbeat "$STATE_DIR"; }
