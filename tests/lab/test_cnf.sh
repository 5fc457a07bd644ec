#!/bin/bash
# test_cnf.sh: the phones read their <vpnGroup> from a phone config file
# (headend.cnf): url1 is refused (TCP port 9 of the headend), url2 is vpn.lab.test.
# Every phone fails over to url2 once (phones.failovers == N) and comes up; no
# failure is counted for a bring-up that moved on.
NAME=test_cnf
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
N=5
MAC=025000170000
cnf=$T/SEP$MAC.cnf.xml
cat >"$cnf" <<EOF2
<?xml version="1.0" encoding="UTF-8"?>
<device><deviceProtocol>SIP</deviceProtocol>
<vpnGroup>
  <enableHostIDCheck>0</enableHostIDCheck>
  <addresses>
    <url1>https://$LAB_HEADEND:9/</url1>
    <url2>$LAB_URL</url2>
  </addresses>
  <credentials>
    <hashAlg>0</hashAlg>
    <certHash1>$LAB_HASH</certHash1>
  </credentials>
</vpnGroup>
</device>
EOF2
# the scenario's url and cert_hashes would win over the file's
sed -i '/^url =\|^cert_hashes =/d' "$T/lab.ini"
sed -i "/^\[headend\]/a cnf = $cnf" "$T/lab.ini"
psw_all_up "$NAME" $N -s phones.mac_base=$MAC -s run.duration=1s --trace 0
expect_eq "$NAME: report phones.failovers" $N "$(report '.phones.failovers')"
grep -q 'trying url2' "$T"/trace/*.log || fail "$NAME" "trace: no 'trying url2' line: $(cat "$T"/trace/*.log)"
pass "$NAME ($N phones failed over from url1 (refused) to url2 and came up)"
