#!/bin/bash
# test_dtls_off.sh: N phones with dtls.mode=off, checked from the headend's side while up
# and in report.json after; see tunnels.sh.
NAME=test_dtls_off
MODE=off
MAC_BASE=025000030000
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lab/tunnels.sh
. "$(dirname "$0")/tunnels.sh"
