#!/bin/bash
# test_upgrade.sh: a headend upgrade, rehearsed as docs/rehearsals.md says (rehearse
# an upgrade), short: scenarios/regression.ini (20 phones of five models at 20/s, held
# 14 s, calls of 3 s, a reset of 20% 4 s after the last arrival) run twice, the lab's
# headend upgraded in between, then `phoneswarm compare` of the two runs.
#
#   1. phones speaking the phone's protocol (/svc) on ocserv 1.3 (Debian 13), then on
#      Debian unstable's ocserv (`scripts/lab up --ocserv sid`);
#   2. the desktop exchange (phones.client = anyconnect, at /) on the host's ocserv
#      1.1.6, which has no phone login, then on 1.3.
#
# Each run: the headend is the version asked for (scripts/lab env), shows all 20 phones
# connected with legacy DTLS (DTLS0.9), as IP phones where they log in as phones
# (lab_phones_bad); the run completes with every expectation of the file held.
#
# compare is judged against a verdict the test works out itself from the two reports'
# own fields, by the rules docs/commands.md gives (what each metric is, its default
# tolerance, points for shares, percent of BASE otherwise, a count from 0, a latency
# change under 1 ms never, a figure that vanished): the rows the table must have, the
# ones it must flag REGRESSION, the verdict line, the WARNING lines (none for these
# runs, which are like for like: same file, DTLS mode, login, fleet, complete), and the
# exit status (1 when something regressed, else 0). Not a fixed expectation: the lab's latency tails move
# from run to run (NOTES.md). The same for NEW against BASE (the reverse), and a run
# against itself, which must give no row flagged and exit 0.
#
# If the headend to upgrade to cannot be had (the Debian root cannot be made, or its
# ocserv does not start) the test says so and fails: the upgrade was not rehearsed.
# PSW_UPGRADE_FROM and PSW_UPGRADE_TO (scripts/lab up --ocserv selectors, default 1.3
# and sid) rehearse another pair with the phone's protocol. The lab ends on the host's
# ocserv with its default profile. Takes ~70 s.
NAME=test_upgrade
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

FROM=${PSW_UPGRADE_FROM:-1.3}
TO=${PSW_UPGRADE_TO:-sid}
N=20
MAC=025000900000
SEP=02500090
SHORT=(-s "phones.count=$N" -s "phones.mac_base=$MAC" -s ramp.rate=20 -s run.duration=14s
	-s traffic.call_duration=3s -s "event.reset.at=ramp_end + 4s" -s event.reset.spread=2s)
DESKTOP=(-s headend.url=https://vpn.lab.test/ -s phones.client=anyconnect)
REGS=""

lab_require_ocserv "$FROM"
# shellcheck disable=SC2016 # run at the end, after psw_setup's psw_kill
on_exit '"$LAB" up --ocserv host; "$LAB" reset; "$LAB" fault clear'
psw_setup "$NAME"

# headend SEL WHAT: the lab's headend becomes SEL (an upgrade when another runs),
# or the test fails saying that WHAT could not be had
headend() {
	local err
	if ! err=$("$LAB" up --ocserv "$1" 2>&1 >/dev/null); then
		printf '%s\n' "$err" >&2
		fail "$NAME" "the lab cannot run $2 (scripts/lab up --ocserv $1 failed:" \
			"$(printf '%s\n' "$err" | tail -n 2 | tr '\n' ' ')): the upgrade was NOT rehearsed"
	fi
	lab_eval_env
	lab_set ciphers=no-ec
	echo "$NAME: headend ocserv $LAB_OCSERV_VERSION ($LAB_OCSERV_SUITE)" >&2
}

# our sessions as the headend has them: connected, with DTLS 0.9
view() {
	lab_sessions_sep $SEP | jq -r '[.[] | select(.State == "connected")] |
		"\(length) connected, \(map(select((.["DTLS cipher"] // "") | startswith("(DTLS0.9)"))) | length) DTLS0.9"'
}

# rehearse RUN CLIENT ARGS...: regression.ini, short, into $T/RUN; CLIENT phone or
# anyconnect says how the headend must see the phones
rehearse() {
	local run=$1 d=$T/$1 client=$2 want="$N connected, $N DTLS0.9" bad rc=0
	shift 2
	mkdir -p "$d"
	"$PSW" run "$LAB_ROOT/scenarios/regression.ini" -o "$d" --force -q "${SHORT[@]}" "$@" \
		>"$d/stdout" 2>"$d/stderr" &
	PSW_PID=$!
	wait_value 10 "$want" view ||
		fail "$NAME" "$run on ocserv $LAB_OCSERV_VERSION: headend: want $want within 10 s, got $GOT"
	if [ "$client" = phone ]; then
		bad=$(lab_phones_bad $SEP)
		expect_eq "$NAME: $run: sessions on ocserv $LAB_OCSERV_VERSION not logged in as phones" "[]" "$bad"
	fi
	wait_until 30 "$run: phoneswarm's end" ended ||
		fail "$NAME" "$run: phoneswarm still running after 30 s: $(tail -n 3 "$d/stderr")"
	wait "$PSW_PID" || rc=$?
	PSW_PID=""
	[ "$rc" = 0 ] || fail "$NAME" "$run on ocserv $LAB_OCSERV_VERSION: exit status $rc, want 0: $(jq -r \
		'[.expectations[] | select(.ok | not) | "\(.name): \(.detail)"] | join("; ")' "$d/report.json")"
	expect_eq "$NAME: $run: [completed, expectations, client]" "true,true,\"$client\"" \
		"$(jq -r '[.completed, (.expectations | length > 0), .client] | @csv' "$d/report.json")"
	echo "$LAB_OCSERV_VERSION" >"$d/ocserv-version"
}

ended() { ! kill -0 "$PSW_PID" 2>/dev/null; }

# The verdict compare must give, worked out from the two reports (BASE, NEW) by the
# rules of docs/commands.md: one line per row the table must have, "NAME R" for a
# regression, "NAME -" otherwise.
# shellcheck disable=SC2016 # a jq program
JUDGE='
def n(x): if (x | type) == "number" then x else null end;
def share(d; x): (d.phones.configured) as $w
	| if n(x) != null and ($w | type) == "number" and $w > 0 then 100 * x / $w else null end;
def worse(hb; b; v): if hb then b - v else v - b end;
def judge(u; hb; b; v; tol):
	if b != null and v == null then tol >= 0
	elif tol < 0 or b == null or v == null then false
	else worse(hb; b; v) as $w
	| if ($w > 0) | not then false
	  elif u == "share" then $w > tol
	  elif u == "duration" then $w >= 1000 and (b <= 0 or $w > b * tol / 100)
	  elif u == "count" then b <= 0 or $w > b * tol / 100
	  else b > 0 and $w > b * tol / 100 end end;
def row(name; u; hb; always; b; v; tol):
	if b == null and v == null then empty
	elif (always | not) and (b == null or v != null)
		and (b == null or b == 0) and (v == null or v == 0) then empty
	else "\(name) \(if judge(u; hb; b; v; tol) then "R" else "-" end)" end;
def fsum(d): if (d.failures | type) == "object" then [d.failures[]] | add // 0 else null end;
def freason(d; r): if (d.failures | type) == "object" then d.failures[r] // 0 else null end;
def samples(d; m): (n(d.latency_us[m].count) // 0) > 0;
def rtp(d): (n(d.rtp.sent) // 0) > 0;
def loss(d): 100 * ((d.rtp.lost_up // 0) + (d.rtp.lost_down // 0)) / d.rtp.sent;
$b[0] as $B | $n[0] as $N
| row("tunnels_up"; "share"; true; true; share($B; $B.phones.tunnels_up); share($N; $N.phones.tunnels_up); 0.5),
  row("dtls_up"; "share"; true; true; share($B; $B.phones.dtls_up); share($N; $N.phones.dtls_up); 0.5),
  row("failed"; "share"; false; true; share($B; $B.phones.failed); share($N; $N.phones.failed); 0.5),
  row("peak_concurrent"; "count"; true; true; n($B.phones.peak_concurrent); n($N.phones.peak_concurrent); 1),
  row("tunnels_dropped"; "count"; false; false; n($B.phones.tunnels_dropped); n($N.phones.tunnels_dropped); 10),
  row("reconnect_failures"; "count"; false; false; n($B.phones.reconnect_failures); n($N.phones.reconnect_failures); 10),
  row("failures"; "count"; false; true; fsum($B); fsum($N); 10),
  ((($B.failures // {}) + ($N.failures // {})) | keys[] as $r
	| row("failures.\($r)"; "count"; false; false; freason($B; $r); freason($N; $r); 10)),
  ((($B.latency_us // {}) + ($N.latency_us // {})) | keys[] as $m
	| if samples($B; $m) and (samples($N; $m) | not) then "latency.\($m) R"
	  else {p50: 20, p90: 20, p99: 25, p999: 50, mean: 20, max: -1} | to_entries[] as $s
	  | row("latency.\($m).\($s.key)"; "duration"; false; false;
		(if samples($B; $m) then n($B.latency_us[$m][$s.key]) else null end);
		(if samples($N; $m) then n($N.latency_us[$m][$s.key]) else null end); $s.value) end),
  (if rtp($B) and (rtp($N) | not) then "rtp R"
   elif rtp($B) and rtp($N) then
	row("rtp.loss"; "share"; false; false; loss($B); loss($N); 0.5),
	row("rtp.loss_up"; "share"; false; false; n($B.rtp.loss_up_pct); n($N.rtp.loss_up_pct); 0.5),
	row("rtp.loss_down"; "share"; false; false; n($B.rtp.loss_down_pct); n($N.rtp.loss_down_pct); 0.5),
	row("rtp.mos"; "number"; true; false; n($B.rtp.mos_mean); n($N.rtp.mos_mean); 2),
	row("rtp.mos_min"; "number"; true; false; n($B.rtp.mos_min); n($N.rtp.mos_min); 5)
   else empty end),
  row("resources.cpu_ms_per_tunnel"; "number"; false; false;
	n($B.resources.cpu_ms_per_tunnel); n($N.resources.cpu_ms_per_tunnel); 25),
  row("resources.kib_per_connected_phone"; "number"; false; false;
	n($B.resources.kib_per_connected_phone); n($N.resources.kib_per_connected_phone); 10),
  row("resources.max_rss_kb"; "number"; false; false;
	n($B.resources.max_rss_kb); n($N.resources.max_rss_kb); 20)
'

# The WARNING lines compare must print: one for each way the two single runs are not
# like for like (a run that did not complete, another scenario file name, DTLS mode,
# login, fleet size), and a last one that counts them.
# shellcheck disable=SC2016 # a jq program
UNLIKE='
def file: split("/") | last;
$b[0] as $B | $n[0] as $N
| [($B.completed == false), ($N.completed == false),
   (($B.scenario // "" | file) != ($N.scenario // "" | file)),
   (($B.dtls_mode // "(none)") != ($N.dtls_mode // "(none)")),
   (($B.client // "anyconnect") != ($N.client // "anyconnect")),
   ($B.phones.configured != $N.phones.configured)]
| map(select(.)) | length | if . > 0 then . + 1 else 0 end
'

# compare_judged BASE NEW: phoneswarm compare of the runs BASE and NEW against the
# verdict worked out here; REGS: the regressions found ("none", or their names)
compare_judged() {
	local out=$T/compare-$1-$2 rc=0 want got n verdict warnings
	"$PSW" compare "$T/$1" "$T/$2" >"$out.txt" 2>"$out.err" || rc=$?
	jq -n -r --slurpfile b "$T/$1/report.json" --slurpfile n "$T/$2/report.json" "$JUDGE" |
		sort >"$out.want"
	awk '/^metric / { t = 1; next } t && /^$/ { exit } t { print $1, ($NF == "REGRESSION" ? "R" : "-") }' \
		"$out.txt" | sort >"$out.got"
	want=$(cat "$out.want")
	got=$(cat "$out.got")
	[ -n "$want" ] || fail "$NAME" "compare $1 $2: the reports give no row at all"
	[ "$want" = "$got" ] || fail "$NAME" "compare $1 $2: rows (R: regression) differ from the" \
		"reports' (< want, > got): $(diff "$out.want" "$out.got" | grep '^[<>]' | tr '\n' ' ')"
	n=$(grep -c ' R$' "$out.want" || :)
	if [ "$n" = 0 ]; then verdict="no regression beyond tolerance"; else
		verdict="$n regression$([ "$n" = 1 ] || echo s) beyond tolerance"
	fi
	grep -q "^$verdict\( (.*)\)\?\$" "$out.txt" ||
		fail "$NAME" "compare $1 $2: want the verdict \"$verdict\", got: $(tail -n 2 "$out.txt" | tr '\n' ' ')"
	warnings=$(grep -c '^WARNING:' "$out.txt" || :)
	expect_eq "$NAME: compare $1 $2: WARNING lines (one per way the runs are unlike, and a last one)" \
		"$(jq -n -r --slurpfile b "$T/$1/report.json" --slurpfile n "$T/$2/report.json" "$UNLIKE")" "$warnings"
	expect_eq "$NAME: compare $1 $2: exit status ($(cat "$out.err"))" "$((n > 0))" "$rc"
	REGS=none
	if [ "$n" != 0 ]; then REGS=$(sed -n 's/ R$//p' "$out.want" | tr '\n' ' ' | sed 's/ $//'); fi
}

# one pair of runs, BASE then NEW, compared each way and each with itself
judge_pair() { # BASE NEW
	local fwd rev
	compare_judged "$1" "$1"
	expect_eq "$NAME: compare $1 $1 (a run against itself): regressions" none "$REGS"
	compare_judged "$2" "$1"
	rev=$REGS
	compare_judged "$1" "$2"
	fwd=$REGS
	echo "$NAME: $1 -> $2 regressions: $fwd; $2 -> $1: $rev" >&2
	pass "$NAME: $1 ($(cat "$T/$1/ocserv-version")) -> $2 ($(cat "$T/$2/ocserv-version")): compare's verdict and exit status as the reports give them ($(grep -c ' R$' "$T/compare-$1-$2.want" || :) regressions of $(wc -l <"$T/compare-$1-$2.want") rows)"
}

# ---- 1. the phone's protocol: FROM (1.3) -> TO (Debian unstable)
headend "$FROM" "ocserv $FROM"
from_version=$LAB_OCSERV_VERSION
rehearse phone-before phone
headend "$TO" "Debian $TO's ocserv"
dpkg --compare-versions "$LAB_OCSERV_VERSION" gt "$from_version" ||
	fail "$NAME" "ocserv $TO is $LAB_OCSERV_VERSION, not newer than $from_version: no upgrade to rehearse"
rehearse phone-after phone
judge_pair phone-before phone-after

# ---- 2. the desktop exchange: the host's ocserv (1.1.6) -> 1.3
headend host "the host's ocserv"
host_version=$LAB_OCSERV_VERSION
rehearse desktop-before anyconnect "${DESKTOP[@]}"
headend 1.3 "ocserv 1.3"
dpkg --compare-versions "$LAB_OCSERV_VERSION" gt "$host_version" ||
	fail "$NAME" "ocserv 1.3 is $LAB_OCSERV_VERSION, not newer than the host's $host_version"
rehearse desktop-after anyconnect "${DESKTOP[@]}"
judge_pair desktop-before desktop-after
