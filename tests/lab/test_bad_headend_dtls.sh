#!/bin/bash
# tests/lab/test_bad_headend_dtls.sh: the hostile headend's cases where DTLS is at
# stake (DTLS_CASES of test_bad_headend.sh: DTLS offered with nothing behind it,
# refused, stalled, broken once up, its DPD late or never answered, and the tunnel
# modes with DTLS up), five phones each.
#
#   tests/lab/test_bad_headend_dtls.sh [BUILD_DIR]
BAD_HEADEND_GROUP=dtls exec bash "$(dirname "$0")/test_bad_headend.sh" "$@"
