#!/bin/bash
# test_tunnels_legacy.sh: N phones with dtls.mode=legacy, checked from the headend's side while up
# and in report.json after; see tunnels.sh.
NAME=test_tunnels_legacy
MODE=legacy
MAC_BASE=025000020000
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lab/tunnels.sh
. "$(dirname "$0")/tunnels.sh"
