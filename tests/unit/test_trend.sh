#!/bin/sh
# tests/unit/test_trend.sh: scripts/trend.awk, the slope and flat/not-flat verdict of
# make soak (scripts/soak), on series whose slope is known. Lab-free, not timed.
#
# Two small series worked out by hand (slope, standard error, spread, lag-1
# autocorrelation, effective samples); then series of an hour at 10 s intervals
# (361 samples), as a soak's last hour gives, drawn with a fixed seed (Park-Miller's
# generator, the same in every awk): flat with noise, growing and shrinking 1 MiB
# an hour with the same noise, a flat series whose noise wanders (autocorrelated),
# a single step of the 0.1 MiB that timeseries.csv's rss_mib resolves, and noise
# too large to show anything. Limits as make soak's: 512 KiB/h for memory, 10 an
# hour for descriptors. Exit 0 pass, 1 fail.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AWK=$ROOT/scripts/trend.awk
fails=0
fail() {
	echo "FAIL test_trend: $*"
	fails=$((fails + 1))
}

# trend LIMIT: the verdict line of stdin's series
trend() { awk -v limit="$1" -f "$AWK"; }

# series BASE SLOPE SD PHI QUANT SEED: 361 samples "hours KiB" over one hour:
# BASE + SLOPE * hours + noise, the noise AR(1) with coefficient PHI and standard
# deviation SD (Gaussian: the sum of 12 uniforms), rounded to QUANT (0: not rounded)
series() {
	awk -v base="$1" -v slope="$2" -v sd="$3" -v phi="$4" -v q="$5" -v seed="$6" '
		function u() { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
		function g(  k, s) { s = 0; for (k = 0; k < 12; k++) s += u(); return s - 6 }
		BEGIN {
			print "t_h kib"
			inn = sd * sqrt(1 - phi * phi)
			z = sd * g()
			for (i = 0; i <= 360; i++) {
				h = i / 360
				v = base + slope * h + z
				if (q > 0) v = q * int(v / q + 0.5)
				printf "%.6f %.3f\n", h, v
				z = phi * z + inn * g()
			}
		}'
}

# field N of a verdict line
field() { echo "$1" | awk -v f="$2" '{ print $f }'; }
# is A within [LO, HI]?
within() { awk -v a="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(a >= lo && a <= hi) }'; }
# expect WHAT LINE VERDICT [SLOPE_LO SLOPE_HI]
expect() {
	v=$(field "$2" 7)
	[ "$v" = "$3" ] || fail "$1: $3 expected, got $v ($2)"
	if [ $# -ge 5 ]; then
		within "$(field "$2" 2)" "$4" "$5" || fail "$1: slope $(field "$2" 2) not in [$4, $5] ($2)"
	fi
}

# ---- by hand
# x 0..3, y 1 3 2 4: slope 4/5 = 0.8; residuals -0.3 0.9 -0.9 0.3 (sum of squares
# 1.8), their lag-1 products sum to -1.35 (R taken as 0, NEFF 4);
# SE = sqrt(1.8 / 2 / 5) = 0.424, spread sqrt(1.8 / 2) = 0.949
got=$(printf '0 1\n1 3\n2 2\n3 4\n' | trend 1)
[ "$got" = "4 0.800 0.424 0.949 0.000 4.0 not-flat" ] || fail "by hand, rising: got '$got'"
# x 0..4, y 2 1 0 1 2 (a header line first): slope 0; residuals 0.8 -0.2 -1.2 -0.2 0.8
# (2.8), lag-1 sum 0.16: R = 0.16 / 2.8 = 0.057, NEFF = 5 (1 - R) / (1 + R) = 4.459;
# SE = sqrt(2.8 / 2.459 / 10) = 0.337, spread sqrt(2.8 / 3) = 0.966; flat within 1
# (0 + 2 x 0.337 <= 1), not within 0.5
got=$(printf 'x y\n0 2\n1 1\n2 0\n3 1\n4 2\n' | trend 1)
[ "$got" = "5 0.000 0.337 0.966 0.057 4.5 flat" ] || fail "by hand, V: got '$got'"
got=$(printf 'x y\n0 2\n1 1\n2 0\n3 1\n4 2\n' | trend 0.5)
[ "$(field "$got" 7)" = not-flat ] || fail "by hand, V within 0.5: got '$got'"

# ---- an exact line: 1 MiB an hour, no noise: slope 1024, SE 0
got=$(series 81920 1024 0 0 0 1 | trend 512)
[ "$(field "$got" 2)" = 1024.000 ] && [ "$(field "$got" 3)" = 0.000 ] || fail "exact line: got '$got'"
expect "exact line" "$got" not-flat

# ---- an hour of RSS samples, KiB; noise 200 KiB, rounded to 0.1 MiB as rss_mib is
for seed in 7 4242 99991; do
	expect "flat, noise 200 KiB (seed $seed)" "$(series 87040 0 200 0 102.4 "$seed" | trend 512)" flat -150 150
	expect "+1 MiB/h, noise 200 KiB (seed $seed)" "$(series 87040 1024 200 0 102.4 "$seed" | trend 512)" not-flat 874 1174
	expect "-1 MiB/h, noise 200 KiB (seed $seed)" "$(series 87040 -1024 200 0 102.4 "$seed" | trend 512)" not-flat -1174 -874
	# a leak of half the limit is shown for what it is, not flat within a quarter of it
	expect "+256 KiB/h (seed $seed)" "$(series 87040 256 200 0 102.4 "$seed" | trend 128)" not-flat 106 406
done

# ---- wandering noise (AR(1), coefficient 0.9, 100 KiB): flat, and the correction seen:
# R high, NEFF far below 361, SE larger than white noise of the same spread would give
got=$(series 87040 0 100 0.9 0 11 | trend 512)
expect "flat, wandering noise" "$got" flat -300 300
within "$(field "$got" 5)" 0.7 1 || fail "wandering noise: R $(field "$got" 5), expected about 0.9"
within "$(field "$got" 6)" 3 60 || fail "wandering noise: NEFF $(field "$got" 6) of 361"
white=$(awk -v sd="$(field "$got" 4)" 'BEGIN { printf "%.3f", sd / sqrt(361 / 12) }')
within "$(field "$got" 3)" "$(awk -v w="$white" 'BEGIN { print 2 * w }')" 1e9 ||
	fail "wandering noise: SE $(field "$got" 3) not above twice the white-noise SE $white"

# ---- one step of rss_mib's resolution (0.1 MiB) half way: within the limit, flat
got=$(awk 'BEGIN { for (i = 0; i <= 360; i++) printf "%.6f %.1f\n", i / 360, (i < 180 ? 87040 : 87142.4) }' | trend 512)
expect "one 0.1 MiB step" "$got" flat 100 200

# ---- noise of 4 MiB: a flat series cannot be shown flat within 512 KiB/h
expect "flat, noise 4 MiB" "$(series 87040 0 4096 0 102.4 5 | trend 512)" not-flat

# ---- descriptors: constant is flat; one leaked a minute (60 an hour) is not; a
# phone reconnecting at one sample (2 fewer) leaves it flat
expect "descriptors constant" "$(series 2070 0 0 0 0 1 | trend 10)" flat 0 0
expect "descriptors, one a minute" "$(series 2070 60 0 0 1 1 | trend 10)" not-flat 59 61
got=$(awk 'BEGIN { for (i = 0; i <= 360; i++) printf "%.6f %d\n", i / 360, (i == 300 ? 2068 : 2070) }' | trend 10)
expect "descriptors, one reconnect" "$got" flat -1 1

# ---- too little to judge
[ "$(printf '0 1\n1 2\n' | trend 1 | awk '{ print $1, $7 }')" = "2 short" ] || fail "2 samples not short"
[ "$(printf '1 1\n1 2\n1 3\n' | trend 1 | awk '{ print $1, $7 }')" = "3 short" ] || fail "one X not short"
[ "$(printf 't_s rss\n' | trend 1 | awk '{ print $1, $7 }')" = "0 short" ] || fail "header only not short"

[ "$fails" = 0 ] || exit 1
echo "PASS test_trend"
