# tests/lab/htmlcheck.sh: render report.html in headless Chromium and look at what it drew
# (source it from bash, after lib.sh).
#
#   html_require             a headless Chromium must be installed (need_installed: a
#                            failure under make test, else a skip); sets CHROMIUM
#                            (chromium-headless-shell, else chromium)
#   html_render DIR          DIR/report.html through Chromium: the DOM it built into
#                            DIR/dom.html, a full-page screenshot into DIR/report.png
#   html_paths DOM           one line per series drawn, as Chromium parsed it:
#                            "FIGURE_ID<TAB>NAME<TAB>POINTS<TAB>MIN_Y<TAB>MAX_Y"
#                            (POINTS: coordinates in the path's d; Y in px, 0 at the top)
#   html_points DOM ID NAME  POINTS of the series NAME of figure ID (0 when absent)
#   html_has DOM TEXT        is TEXT (fixed string) in the DOM?
#
# Chromium runs with its own throw-away profile under DIR and no sandbox (we are root).

html_require() {
	CHROMIUM=""
	for c in chromium-headless-shell chromium; do
		if command -v "$c" >/dev/null 2>&1; then
			CHROMIUM=$c
			break
		fi
	done
	[ -n "$CHROMIUM" ] || need_installed chromium-headless-shell "a headless Chromium (chromium-headless-shell)"
}

_html_chromium() { # DIR ARGS...: one headless run
	_d=$1
	shift
	_h=""
	[ "$CHROMIUM" = chromium ] && _h=--headless
	timeout 60 "$CHROMIUM" $_h --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$_d/chromium-profile" "$@" 2>>"$_d/chromium.log"
}

html_render() { # DIR
	_html_chromium "$1" --dump-dom "file://$1/report.html" >"$1/dom.html" || return 1
	# tall enough for the whole page; the page is 1000 px wide plus margins
	_html_chromium "$1" --window-size=1280,7000 --screenshot="$1/report.png" \
		"file://$1/report.html" >/dev/null || return 1
	rm -rf "$1/chromium-profile"
	[ -s "$1/dom.html" ] && [ -s "$1/report.png" ]
}

html_paths() { # DOM
	grep -o '<figure class="chart" id="[^"]*"\|<path class="series" data-name="[^"]*" d="[^"]*"' "$1" |
		awk '
		/^<figure/ { split($0, a, "\""); fig = a[4]; next }
		{
			split($0, a, "\""); name = a[4]; d = a[6]
			n = gsub(/[ML]/, " &", d)
			miny = 1e9; maxy = -1e9
			k = split(d, tok, /[ ML]+/)
			# tokens alternate x y
			odd = 0
			for (i = 1; i <= k; i++) {
				if (tok[i] == "") continue
				odd = !odd
				if (!odd) { y = tok[i] + 0; if (y < miny) miny = y; if (y > maxy) maxy = y }
			}
			printf "%s\t%s\t%d\t%.1f\t%.1f\n", fig, name, n, miny, maxy
		}'
}

html_points() { # DOM ID NAME
	html_paths "$1" | awk -F'\t' -v id="$2" -v nm="$3" '$1 == id && $2 == nm { print $3; f = 1 } END { if (!f) print 0 }' | head -n 1
}

html_has() { # DOM TEXT
	grep -qF -- "$2" "$1"
}
