# tests/lab/tunnels.sh: body of test_tunnels_psk.sh, test_tunnels_legacy.sh and
# shellcheck shell=bash
# test_dtls_off.sh (sourced after lib.sh, with NAME, MODE and MAC_BASE set).
#
# N phones of model 8861 come up with dtls.mode=MODE and stay 10 s. While they are
# up, the headend (occtl show users) must list exactly N connected sessions, named
# CP-8861-SEP<MAC> for MAC = MAC_BASE + 0..N-1, each from its own source address,
# with the DTLS cipher MODE calls for (none for off) and data moved both ways. After
# the run: exit status 0, every tunnel (and DTLS channel) counted up in report.json,
# every DTLS session's records taken over by phoneswarm's record layer and none of the
# headend's records refused by it, no failure, a clean disconnect of every phone, and
# no session left on the headend.

N=30
PREFIX="CP-8861-SEP${MAC_BASE:0:8}"

case "$MODE" in
psk) want_cipher='test("^\\(DTLS1\\.2\\)-\\(PSK\\)-")'; want_dtls=$N ;;
legacy) want_cipher='test("^\\(DTLS0\\.9\\)-")'; want_dtls=$N ;;
off) want_cipher='. == null or . == ""'; want_dtls=0 ;;
*) fail "$NAME" "unknown MODE $MODE" ;;
esac

lab_require
psw_setup "$NAME"

expected=$(for i in $(seq 0 $((N - 1))); do echo "CP-8861-SEP$(mac_hex "$MAC_BASE" "$i")"; done |
	jq -R . | jq -sc 'sort')

psw_start -s phones.count=$N -s ramp.rate=30 -s run.duration=10s \
	-s dtls.mode="$MODE" -s phones.mac_base="$MAC_BASE" -s phones.models=8861

# Wait (at most 12 s) until the headend has all N connected with their DTLS cipher
# and data counted both ways, then judge the last snapshot.
end=$(($(date +%s) + 12))
while :; do
	users=$(lab_users_like "$PREFIX")
	ready=$(printf '%s' "$users" | jq --argjson n $N "
		length == \$n and all(.[]; .State == \"connected\"
			and ((.\"DTLS cipher\" // \"\") | $want_cipher)
			and (.RX | tonumber) > 0 and (.TX | tonumber) > 0)")
	[ "$ready" = true ] && break
	if ! kill -0 "$PSW_PID" 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; then
		break
	fi
	sleep 0.5
done
snap=$(printf '%s' "$users" | jq -c '[.[] | {u: .Username, s: .State,
	d: ."DTLS cipher", ip: ."Remote IP", rx: .RX, tx: .TX}] | sort_by(.u)')

n_conn=$(printf '%s' "$users" | jq '[.[] | select(.State == "connected")] | length')
[ "$n_conn" = $N ] && [ "$(printf '%s' "$users" | jq length)" = $N ] ||
	fail "$NAME" "headend: want $N sessions of $PREFIX* all connected, got $n_conn connected of $(printf '%s' "$users" | jq length): $snap"

names=$(printf '%s' "$users" | jq -c '[.[].Username] | sort')
[ "$names" = "$expected" ] ||
	fail "$NAME" "headend user names: want $expected, got $names"

n_ip=$(printf '%s' "$users" | jq '[.[]."Remote IP"] | unique | length')
expect_eq "$NAME: distinct source addresses on the headend" $N "$n_ip"

bad=$(printf '%s' "$users" | jq -c "[.[] | select((.\"DTLS cipher\" // \"\") | $want_cipher | not) | {u: .Username, d: .\"DTLS cipher\"}] | if length > 0 then {wrong: length, first: .[:3]} else . end")
[ "$bad" = "[]" ] ||
	fail "$NAME" "headend DTLS cipher: want $want_cipher for every phone, wrong for: $bad"

bad=$(printf '%s' "$users" | jq -c '[.[] | select((.RX | tonumber) == 0 or (.TX | tonumber) == 0) | {u: .Username, rx: .RX, tx: .TX}] | if length > 0 then {wrong: length, first: .[:3]} else . end')
[ "$bad" = "[]" ] ||
	fail "$NAME" "headend data bytes: want RX > 0 and TX > 0 for every phone, got: $bad"

psw_wait 40
expect_rc "$NAME" 0
got=$(report '[.phones.attempted, .phones.tunnels_up, .phones.dtls_up, .phones.failed, .phones.disconnected, .phones.aborted_at_end] | @csv')
expect_eq "$NAME: report phones [attempted,tunnels_up,dtls_up,failed,disconnected,aborted_at_end]" \
	"$N,$N,$want_dtls,0,$N,0" "$got"
expect_eq "$NAME: report failures" "{}" "$(report '.failures | tojson')"
expect_eq "$NAME: report latency_us.time_to_tunnel.count" $N "$(report '.latency_us.time_to_tunnel.count')"
expect_eq "$NAME: report latency_us.dtls_handshake.count" $want_dtls "$(report '.latency_us.dtls_handshake.count')"
if [ "$MODE" = off ]; then
	expect_eq "$NAME: report DTLS bytes with dtls off [tx,rx]" "0,0" \
		"$(report '[.traffic.dtls_tx_bytes, .traffic.dtls_rx_bytes] | @csv')"
else
	got=$(report '.traffic.dtls_rx_bytes > 0 and .traffic.dtls_tx_bytes > 0')
	expect_eq "$NAME: report DTLS bytes moved both ways ($(report '.traffic | tojson'))" true "$got"
	# every session's records were run by phoneswarm after its handshake, none refused
	expect_eq "$NAME: report traffic [dtls_takeovers,dtls_rx_dropped]" "$N,0" \
		"$(report '[.traffic.dtls_takeovers, .traffic.dtls_rx_dropped] | @csv')"
fi

lab_wait_like "$PREFIX" 0 5 ||
	fail "$NAME" "headend: sessions left after the run: $(lab_users_like "$PREFIX" | jq -c '[.[] | {u: .Username, s: .State}]')"

pass "$NAME ($N phones, dtls $MODE, $(report '.latency_us.time_to_tunnel.p50') us median time to tunnel)"
