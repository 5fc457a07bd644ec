#!/bin/bash
# test_impair.sh: the timeline's path faults on the phone's side, measured by voice.
#  1. action = impair, loss = 20%, on every phone for the rest of the run, from 1 s
#     after the last arrival: each direction of the calls loses about 20% of the
#     packets sent after that (18% of the run's: 20% x 10/11), measured within 14..22%.
#  2. action = cut on phones 0-4 (half of them) for 3 s of a 10 s call: about 15% lost
#     upstream, within 8..22% (the reflector echoes nothing it did not get, so downstream
#     loses only what was in flight, under 3%); no tunnel drops (DPD is 20 s), and the
#     cut phones' console logs say the path was cut and restored, the others' do not.
#  3. the lab's link loses 10% of the datagrams towards the headend from ramp_end + 1 s
#     (action = lab, command = fault loss 10%): the calls measure about 9% (10% x 10/11)
#     upstream, within 5..13%, and nothing downstream; no tunnel drops.
NAME=test_impair
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
[ -n "$LAB_REFLECTOR" ] || fail "$NAME" "scripts/lab env gives no LAB_REFLECTOR"
N=10
VOICE=(-s "traffic.calls=100%" -s traffic.call_duration=10m -s "traffic.target=$LAB_REFLECTOR"
	-s phones.count=$N -s phones.mac_base=0250000E0000 -s ramp.rate=50 -s dtls.mode=psk)
within() { # VALUE LO HI
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'
}

# 1. 20% loss from ramp_end + 1 s to the end
cat >>"$T/lab.ini" <<EOF2
[event.impair]
at = ramp_end + 1s
action = impair
loss = 20%
duration = 1h
EOF2
psw_run "${VOICE[@]}" -s run.duration=11s
expect_rc "$NAME: impair" 0
up=$(report '.rtp.loss_up_pct')
down=$(report '.rtp.loss_down_pct')
within "$up" 14 22 || fail "$NAME" "impair: loss up $up%, want 14..22 ($(report '.rtp | tojson'))"
within "$down" 14 22 || fail "$NAME" "impair: loss down $down%, want 14..22"
expect_eq "$NAME: impair: no tunnel dropped" 0 "$(report '.phones.tunnels_dropped')"
echo "impair 20%: measured up $up%, down $down%"

# 2. phones 0-4 cut for 3 s
psw_setup "$NAME"
cat >>"$T/lab.ini" <<EOF2
[event.cut]
at = ramp_end + 4s
action = cut
phones = 0-4
duration = 3s
EOF2
psw_run "${VOICE[@]}" -s run.duration=10s --trace 0 --trace 9
expect_rc "$NAME: cut" 0
up=$(report '.rtp.loss_up_pct')
down=$(report '.rtp.loss_down_pct')
within "$up" 8 22 || fail "$NAME" "cut: loss up $up%, want 8..22 ($(report '.rtp | tojson'))"
# what never reached the reflector was never echoed: downstream loses only what was
# in flight as the cut began
within "$down" 0 3 || fail "$NAME" "cut: loss down $down%, want 0..3"
expect_eq "$NAME: cut: no tunnel dropped" 0 "$(report '.phones.tunnels_dropped')"
cut_log=$(ls "$T"/trace/*SEP0250000E0000.log)
grep -q "NET: path cut for 3.0 s" "$cut_log" || fail "$NAME" "phone 0's log does not say its path was cut"
grep -q "NET: path restored" "$cut_log" || fail "$NAME" "phone 0's log does not say its path came back"
if grep -q "NET: path" "$T"/trace/*SEP0250000E0009.log; then
	fail "$NAME" "phone 9 was not to be cut"
fi
echo "cut 5 of 10 phones for 3 s: measured up $up%, down $down%"

# 3. the headend's link loses 10% of what it receives
psw_setup "$NAME"
on_exit '"$LAB" fault loss-clear'
cat >>"$T/lab.ini" <<EOF2
[event.lossy]
at = ramp_end + 1s
action = lab
command = fault loss 10%
EOF2
psw_run "${VOICE[@]}" -s run.duration=11s
"$LAB" fault loss-clear >/dev/null 2>&1
expect_rc "$NAME: link loss" 0
up=$(report '.rtp.loss_up_pct')
down=$(report '.rtp.loss_down_pct')
within "$up" 5 13 || fail "$NAME" "link loss: loss up $up%, want 5..13 ($(report '.rtp | tojson'))"
within "$down" 0 0.5 || fail "$NAME" "link loss: loss down $down%, want 0"
expect_eq "$NAME: link loss: no tunnel dropped" 0 "$(report '.phones.tunnels_dropped')"
echo "link loss 10% (scripts/lab fault loss): measured up $up%, down $down%"
pass "$NAME"
