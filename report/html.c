/*
 * report/html.c - report.html (html.h).
 *
 * The page, top to bottom: what ran and the verdict; tiles with the figures
 * an engineer looks for first; the expectations; the charts over time, read
 * back from timeseries.csv; the latency distributions, from the run's
 * histograms; the events; the detailed tables. Every string that came from
 * a user or a headend (scenario path, URL, event and expectation text) goes
 * through svg_escape().
 *
 * Written in four files that share html_internal.h: this one (the page, its
 * style sheet, and the small formatting the others use), html_tables.c
 * (the header, its tiles, the tables), html_series.c (the charts over time)
 * and html_dist.c (the latency distributions).
 */
#include "report/html.h"

#include <errno.h>
#include <stdlib.h>

#include "report/html_internal.h"
#include "report/series.h"
#include "report/svg.h"

/* Colours that stay apart for the colour-blind, and on a projector. */
const char *const html_palette[HTML_N_PALETTE] = {
	"#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9",
	"#8c564b", "#7f7f7f", "#bcbd22", "#17becf", "#1f2328", "#f0e442",
};

/* ==== Small formatting ==== */

void html_esc(struct page *p, const char *s)
{
	svg_escape(p->f, s);
}

/* 1234567 as "1,234,567". */
const char *html_count_str(char *buf, size_t cap, uint64_t v)
{
	char tmp[32];
	int len = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v), o = 0;

	for (int i = 0; i < len && (size_t)o + 2 < cap; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

/* A latency in microseconds as milliseconds, with the digits that matter. */
const char *html_ms_str(char *buf, size_t cap, double us)
{
	double ms = us / 1000.0;

	if (ms < 10)
		snprintf(buf, cap, "%.2f", ms);
	else if (ms < 100)
		snprintf(buf, cap, "%.1f", ms);
	else
		snprintf(buf, cap, "%.0f", ms);
	return buf;
}

/*
 * The unit of a latency axis whose values, in ms, reach hi: seconds from
 * 10 s up. Sets *div (ms per unit) and returns the axis label.
 */
const char *html_latency_unit(double hi, enum svg_scale ys, double *div)
{
	*div = hi >= 10000 ? 1000 : 1;
	if (ys == SVG_LOG)
		return *div > 1 ? "seconds (log scale)" : "ms (log scale)";
	return *div > 1 ? "seconds" : "ms";
}

/* ==== The page ==== */

static void css(FILE *f)
{
	fputs("<style>\n"
	      ":root{color-scheme:light}\n"
	      "body{margin:0;background:#f6f8fa;color:#1f2328;font:14px/1.45 system-ui,"
	      "-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}\n"
	      "main{max-width:1000px;margin:0 auto;padding:20px 24px 40px}\n"
	      "header h1{font-size:22px;margin:0 0 4px}\n"
	      "header .meta{color:#57606a;margin:0 0 12px;overflow-wrap:anywhere}\n"
	      "h2{font-size:18px;margin:0 0 10px;padding-bottom:4px;border-bottom:1px solid "
	      "#d0d7de}\n"
	      "h3{font-size:15px;margin:18px 0 6px;color:#424a53}\n"
	      "section,header{background:#fff;border:1px solid #d0d7de;border-radius:8px;"
	      "padding:14px 18px;margin:0 0 16px}\n"
	      ".verdict{font-size:17px;font-weight:600;padding:10px 14px;border-radius:6px;"
	      "margin:10px 0 0}\n"
	      ".verdict.ok{background:#dafbe1;color:#116329;border:1px solid #4ac26b}\n"
	      ".verdict.fail{background:#ffebe9;color:#a40e26;border:1px solid #ff8182}\n"
	      ".verdict.none{background:#f6f8fa;color:#424a53;border:1px solid #d0d7de}\n"
	      ".capacity,.partial{margin:10px 0 0;padding:10px 14px;border-radius:6px;"
	      "background:#fff8c5;border:1px solid #d4a72c}\n"
	      ".tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));"
	      "gap:10px;margin:14px 0 0}\n"
	      ".tile{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px}\n"
	      ".tile .k{font-size:12px;color:#57606a;text-transform:uppercase;"
	      "letter-spacing:.03em}\n"
	      ".tile .v{font-size:24px;font-weight:600;font-variant-numeric:tabular-nums;"
	      "white-space:nowrap}\n"
	      ".tile .s{font-size:12px;color:#57606a}\n"
	      ".tile.bad .v{color:#cf222e}.tile.good .v{color:#1a7f37}\n"
	      "table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}\n"
	      "th,td{padding:4px 10px;border-bottom:1px solid #eaeef2;text-align:left;"
	      "vertical-align:top}\n"
	      "th{background:#f6f8fa;font-weight:600}\n"
	      "table.num td+td,table.num th+th{text-align:right;"
	      "font-variant-numeric:tabular-nums}\n"
	      "td.ok{color:#1a7f37;font-weight:600}td.fail{color:#cf222e;font-weight:600}\n"
	      ".note{color:#57606a;font-size:13px}\n"
	      ".pair{display:grid;grid-template-columns:1fr 1fr;gap:12px}\n"
	      ".cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));"
	      "gap:0 24px}\n.cols table{width:100%}\n"
	      "footer{color:#8c959f;font-size:12px;text-align:center}\n",
	      f);
	svg_css(f);
	fputs("</style>\n", f);
}

int report_html_write(const struct run_result *r, const char *dir)
{
	struct page p = {.r = r};
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/report.html", dir);
	rc = html_series_load(&p, dir);
	if (rc)
		goto out;
	p.f = fopen(path, "w");
	if (!p.f) {
		rc = -errno;
		goto out;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>phoneswarm: ",
	      p.f);
	html_esc(&p, r->scenario);
	fputs("</title>\n", p.f);
	css(p.f);
	fputs("</head>\n<body>\n<main>\n", p.f);
	html_tables_header(&p);
	html_tables_expectations(&p);
	html_series_section(&p);
	html_dist_section(&p);
	html_tables_events(&p);
	html_tables_details(&p);
	fputs("<footer>phoneswarm report.html: the same run as report.json, timeseries.csv and "
	      "latency.hlog beside it.</footer>\n</main>\n</body>\n</html>\n",
	      p.f);
	if (ferror(p.f))
		rc = -EIO;
	if (fclose(p.f) && !rc)
		rc = -EIO;
out:
	series_free(p.ts);
	free(p.x);
	return rc;
}
