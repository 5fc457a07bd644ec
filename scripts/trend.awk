# scripts/trend.awk: is a series flat? (scripts/soak; tests/unit/test_trend.sh)
#
#   awk -v limit=L -f scripts/trend.awk [FILE]
#
# Reads "X Y" lines (X in hours, Y in any unit; lines whose first two fields are
# not both numbers, such as a header, are skipped) and prints one line:
#
#   N SLOPE SE SPREAD R NEFF VERDICT
#
# SLOPE: the least-squares slope of Y over X (Y's unit per hour).
# SPREAD: the standard deviation of the samples around that line.
# R: the lag-1 autocorrelation of those residuals (0 when negative).
# NEFF: N (1 - R) / (1 + R), the independent samples they are worth (at least 3).
# SE: the slope's standard error, the residuals' variance taken over NEFF - 2
#   degrees of freedom (the AR(1) correction of Santer et al., 2000): memory and
#   descriptor counts move in steps, so neighbouring samples are not independent
#   and the plain standard error would be too small.
# VERDICT: "flat" when |SLOPE| + 2 SE <= limit, that is, when the slope's 95%
#   band lies within +-limit: the series is shown flat to within the limit. A
#   series too noisy to show that is "not-flat" as well. "short": fewer than 3
#   samples, or every X the same.

BEGIN { n = 0 }

function num(s) { return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }

NF >= 2 && num($1) && num($2) {
	x[n] = $1 + 0
	y[n] = $2 + 0
	sx += x[n]
	sy += y[n]
	n++
}

END {
	if (n < 3) {
		printf "%d 0 0 0 0 0 short\n", n
		exit
	}
	mx = sx / n
	my = sy / n
	for (i = 0; i < n; i++) {
		dx = x[i] - mx
		sxx += dx * dx
		sxy += dx * (y[i] - my)
	}
	if (sxx <= 0) {
		printf "%d 0 0 0 0 0 short\n", n
		exit
	}
	b = sxy / sxx
	a = my - b * mx
	for (i = 0; i < n; i++) {
		e[i] = y[i] - a - b * x[i]
		see += e[i] * e[i]
	}
	for (i = 1; i < n; i++)
		c += e[i] * e[i - 1]
	# residuals of a constant or exact series are rounding: no autocorrelation in them
	r = see > 1e-18 * (1 + my * my) * n ? c / see : 0
	if (r < 0)
		r = 0
	neff = n * (1 - r) / (1 + r)
	if (neff < 3)
		neff = 3
	se = sqrt(see / (neff - 2) / sxx)
	sd = sqrt(see / (n - 2))
	ab = b < 0 ? -b : b
	printf "%d %.3f %.3f %.3f %.3f %.1f %s\n", n, b, se, sd, r, neff, (ab + 2 * se <= limit ? "flat" : "not-flat")
}
