/*
 * tests/bench/bench_phonemem.c - the heap one connected phone keeps, piece by
 * piece. Printed figures, not a timed test; no lab, no socket.
 *
 * PHONES phones are brought up one after the other on one worker against
 * the scripted in-memory headend of tests/unit/test_phone.c (real OpenSSL
 * TLS, the phone's login, CONNECT, DTLS 0.9 AES256-SHA resumed and handed
 * over to the phone's own record layer once the headend's first record came,
 * as in the lab with ciphers=no-ec), each with an identity minted as the
 * swarm mints it (with "openssl" as argument: phones.tls_records = openssl,
 * OpenSSL's CSTP session kept, as before the take-over). Each headend is
 * freed once its phone is up and idle, so
 * what stays is what the phones keep. Then the pieces are freed in turn,
 * for every phone, and the heap measured after each step: the difference,
 * over PHONES, is what one phone keeps in that piece.
 *
 * The heap is glibc's bytes in use (mallinfo2: chunks, with their headers),
 * with the per-thread cache turned off (GLIBC_TUNABLES, the program runs
 * itself again with it) so that a freed chunk is counted as free; OpenSSL's
 * share is counted apart (CRYPTO_set_mem_functions, usable sizes).
 */
#include <malloc.h>
#include <unistd.h>

#include "tests/unit/phone_script.h"
#include "engine/ring/ring.h"
#include "engine/trust/identity.h"

#define PHONES 200

static size_t ossl_live;

/*
 * OpenSSL's live allocations by address, with the source line that made
 * them: what a step frees is then told by where it was allocated.
 */
#define SITES (1u << 21)
struct site {
	const void *p;
	const char *file;
	int line;
	size_t n;
};
static struct site *live; /* open addressing, linear probing; p == NULL free, (void*)1 gone */
static bool by_site;	  /* a step is collecting its frees by site */
static struct site freed[256];
static int n_freed;

static size_t slot(const void *p)
{
	return ((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull >> 43 & (SITES - 1);
}

static void track(const void *p, const char *file, int line, size_t n)
{
	size_t i = slot(p);

	while (live[i].p && live[i].p != (void *)1)
		i = (i + 1) & (SITES - 1);
	live[i] = (struct site){p, file, line, n};
}

static void untrack(const void *p)
{
	size_t i = slot(p);

	for (; live[i].p; i = (i + 1) & (SITES - 1)) {
		if (live[i].p != p)
			continue;
		if (by_site) {
			int k;

			for (k = 0; k < n_freed; k++)
				if (freed[k].line == live[i].line &&
				    !strcmp(freed[k].file, live[i].file))
					break;
			if (k == n_freed && n_freed < 256)
				freed[n_freed++] =
				    (struct site){NULL, live[i].file, live[i].line, 0};
			if (k < 256)
				freed[k].n += live[i].n;
		}
		live[i].p = (void *)1;
		return;
	}
}

static void *acct_malloc(size_t n, const char *file, int line)
{
	void *p = malloc(n);

	if (p) {
		ossl_live += malloc_usable_size(p);
		track(p, file, line, malloc_usable_size(p));
	}
	return p;
}

static void *acct_realloc(void *old, size_t n, const char *file, int line)
{
	size_t was = old ? malloc_usable_size(old) : 0;
	void *p;

	if (old)
		untrack(old); /* (tracked again below if realloc fails) */
	p = realloc(old, n);
	if (!p && n && old)
		track(old, file, line, was);
	if (p || !n)
		ossl_live -= was;
	if (p) {
		ossl_live += malloc_usable_size(p);
		track(p, file, line, malloc_usable_size(p));
	}
	return p;
}

static void acct_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	if (p) {
		ossl_live -= malloc_usable_size(p);
		untrack(p);
	}
	free(p);
}

static int by_bytes(const void *a, const void *b)
{
	const struct site *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

/* What the frees since sites_begin() had been allocated by, per phone, largest first. */
static void sites_begin(void)
{
	n_freed = 0;
	by_site = true;
}

static void sites_print(const char *what)
{
	by_site = false;
	qsort(freed, (size_t)n_freed, sizeof(freed[0]), by_bytes);
	printf("\n%s, by the OpenSSL source line that allocated it (B per phone):\n", what);
	for (int k = 0; k < n_freed && freed[k].n >= PHONES * 16; k++)
		printf("  %6.0f  %s:%d\n", (double)freed[k].n / PHONES, freed[k].file,
		       freed[k].line);
}

static size_t heap(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* Resident and virtual size of the process, bytes. */
static void statm(size_t *rss, size_t *vsz)
{
	unsigned long v = 0, r = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &v, &r) != 2)
			v = r = 0;
		fclose(f);
	}
	*rss = r * (size_t)sysconf(_SC_PAGESIZE);
	*vsz = v * (size_t)sysconf(_SC_PAGESIZE);
}

static void die(const char *what)
{
	fprintf(stderr, "bench_phonemem: %s\n", what);
	exit(1);
}

static struct script sc[PHONES];
static size_t h_last, o_last;

/* One row: what the last step freed, per phone. */
static void row(const char *what, size_t *total)
{
	size_t h = heap(), o = ossl_live;
	size_t dh = h_last - h, d_o = o_last - o;

	printf("| %-58s | %7.0f | %7.0f |\n", what, (double)dh / PHONES, (double)d_o / PHONES);
	*total += dh;
	h_last = h;
	o_last = o;
}

static void mark(void)
{
	h_last = heap();
	o_last = ossl_live;
}

/* The CA file identity_ca_load wants: the script's key and a certificate of it. */
static struct identity_ca *make_ca(void)
{
	char path[] = "/tmp/bench_phonemem.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	struct identity_ca *ca;
	char err[256];
	bool key_fault;

	if (!f || !PEM_write_X509(f, pki.headend) ||
	    !PEM_write_PrivateKey(f, pki.key, NULL, NULL, 0, NULL, NULL))
		die("CA file");
	fclose(f);
	ca = identity_ca_load(path, path, err, sizeof(err), &key_fault);
	unlink(path);
	if (!ca)
		die(err);
	return ca;
}

/*
 * The scripted headend's RSA key transport cannot run with tls_builtin_rsa()
 * (OpenSSL 3.0 checks that padding in its provider only), so the phones above
 * decode the headend's certificate through the providers. A run decodes it
 * with the built-in RSA code: the same certificate decoded both ways.
 */
static void decoded_cert(void)
{
	unsigned char *der = NULL;
	int len = i2d_X509(pki.headend, &der);
	X509 *x[PHONES];

	for (int pass = 0; pass < 2; pass++) {
		size_t h0;

		if (pass)
			tls_builtin_rsa();
		h0 = heap();
		for (int i = 0; i < PHONES; i++) {
			const unsigned char *q = der;

			x[i] = d2i_X509(NULL, &q, len);
			if (!x[i] || !X509_get0_pubkey(x[i]))
				die("d2i_X509");
		}
		printf("the headend's certificate (%d B of DER), decoded %s: %.0f B\n", len,
		       pass ? "with tls_builtin_rsa (as in a run)" : "through the providers",
		       (double)(heap() - h0) / PHONES);
		for (int i = 0; i < PHONES; i++)
			X509_free(x[i]);
	}
	OPENSSL_free(der);
}

/*
 * What a worker thread holds for its phones, over its phones: ring_init for
 * a thread of WORKER_PHONES (the phone array, the ring's slots, the receive
 * buffer ring, the io_uring's rings mapped from the kernel).
 */
#define WORKER_PHONES 500
static void per_worker(const struct fleet *f)
{
	size_t h0 = heap(), rss0, vsz0, rss1, vsz1;
	struct ring *r;

	statm(&rss0, &vsz0);
	r = ring_new();
	if (!r || ring_init(r, 0, f, WORKER_PHONES)) {
		printf("per worker: ring_init failed (%s): not measured\n", r ? ring_error(r) : "");
		ring_free(r);
		return;
	}
	statm(&rss1, &vsz1);
	printf("\na worker thread of %d phones (ring_init), per phone: heap %.0f B (struct phone "
	       "%zu B of it; the rest mostly the failure queue and histograms, calloc'd: resident "
	       "only where written), resident at once %.0f B; address space %.0f B (with the "
	       "io_uring's rings: resident once gone round)\n",
	       WORKER_PHONES, (double)(heap() - h0) / WORKER_PHONES, sizeof(struct phone),
	       ((double)rss1 - (double)rss0) / WORKER_PHONES,
	       ((double)vsz1 - (double)vsz0) / WORKER_PHONES);
	ring_free(r);
}

int main(int argc, char **argv)
{
	struct identity_keys *keys;
	struct identity_ca *ca;
	STACK_OF(X509_NAME) * cas;
	size_t start, total = 0, rss0, rss1, vsz;
	struct timespec c0, c1;
	SSL_SESSION *sess[PHONES];
	X509 *peer[PHONES];
	BIO *bio[PHONES];

	bool keep_ssl = argc > 1 && !strcmp(argv[1], "openssl");

	if (!getenv("GLIBC_TUNABLES")) {
		setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1);
		execv("/proc/self/exe", argv);
		die("execv");
	}
	live = calloc(SITES, sizeof(*live));
	if (!live)
		die("calloc");
	if (!CRYPTO_set_mem_functions(acct_malloc, acct_realloc, acct_free))
		die("CRYPTO_set_mem_functions");
	if (script_pki_setup(NULL))
		die("keys");
	ca = make_ca();
	keys = identity_keys_new(1);
	if (!keys)
		die("identity_keys_new");
	/* the CAs the headend names in its CertificateRequest: three, as the lab's bundle */
	cas = sk_X509_NAME_new_null();
	for (int i = 0; i < 3; i++) {
		static const char *const cn[] = {"Cisco Manufacturing CA SHA2",
						 "Cisco Manufacturing CA", "CAPF-1a2b3c4d"};
		X509_NAME *n = X509_NAME_new();

		X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Cisco", -1,
					   -1, 0);
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn[i], -1,
					   -1, 0);
		if (!cas || !sk_X509_NAME_push(cas, n))
			die("CA names");
	}

	/* The scripts: a worker, its fleet, a phone, a headend, each */
	for (int i = 0; i < PHONES; i++) {
		struct script *s = &sc[i];
		char cn[64];

		script_init(s, "https://vpn.test/svc");
		s->h.tls_ciphers = "AES256-SHA:@SECLEVEL=0";
		s->h.dtls = HD_DTLS09;
		s->h.client_cas = cas;
		s->cfg.tls_openssl_records = keep_ssl;
		script_start(s);
		identity_cn(cn, sizeof(cn), s->p->model->name, s->p->mac);
		s->p->cert = identity_mint(ca, keys, cn, (uint64_t)i, false, VALID, &s->p->key);
		if (!s->p->cert)
			die("identity_mint");
	}
	malloc_trim(0);
	statm(&rss0, &vsz);
	start = heap();
	mark();

	/* Bring each up, DTLS handed over, its headend gone */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	for (int i = 0; i < PHONES; i++) {
		struct script *s = &sc[i];

		script_arrive(s);
		script_dns(s, LOOKUP_OK, "198.18.0.1");
		script_connect(s, 0);
		if (s->p->state != PH_TUNNEL || s->p->dtls != DT_UP)
			fprintf(stderr, "phone %d: state %d dtls %d reason %d d09 %s\n", i,
				s->p->state, s->p->dtls, s->p->reason,
				s->h.d09.why ? s->h.d09.why : "");
		if (s->p->state != PH_TUNNEL || s->p->dtls != DT_UP)
			die("the phone's tunnel or DTLS is not up");
		headend_echo_reply(&s->h, true); /* the headend's first record: the hand-over */
		script_settle(s);
		if (s->p->dtls_s.ssl || !s->p->dtls_rec.id)
			die("DTLS not handed over to the record layer");
		headend_close_tls(&s->h);
		headend_close_dtls(&s->h);
		for (int c = 0; c < 2; c++) {
			free(s->ch[c].sbuf); /* the channel's: the ring's send buffer */
			s->ch[c].sbuf = NULL;
			s->ch[c].scap = 0;
		}
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	malloc_trim(0); /* as swarm_trim does after bring-ups */
	statm(&rss1, &vsz);
	printf("%d phones up (TLS AES256-SHA %s, DTLS 0.9 AES256-SHA handed over), one worker "
	       "each\n",
	       PHONES, keep_ssl ? "kept by OpenSSL: phones.tls_records = openssl" : "taken over");
	printf("CPU per bring-up, the scripted headend's included: %.3f ms\n",
	       ((double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e6) /
		   PHONES);
	printf("resident size grown per phone, heap trimmed: %.0f B\n",
	       ((double)rss1 - (double)rss0) / PHONES);
	printf("heap kept per phone after bring-up: %.0f B (OpenSSL's: %.0f B)\n\n",
	       (double)(heap() - start) / PHONES, (double)(ossl_live - o_last) / PHONES);
	printf("| %-58s | %7s | %7s |\n", "piece (freed in this order)", "heap B", "OpenSSL");
	printf("|%s|---------|---------|\n",
	       "------------------------------------------------------------");
	mark();

	if (sc[0].p->tls.ssl) {
		/* The CSTP SSL: its BIO, session and the headend's certificate held apart */
		for (int i = 0; i < PHONES; i++) {
			struct phone *p = sc[i].p;

			sess[i] = SSL_get1_session(p->tls.ssl);
			peer[i] = SSL_get1_peer_certificate(p->tls.ssl);
			bio[i] = p->tls.bio;
			BIO_up_ref(bio[i]);
		}
		mark();
		sites_begin();
		for (int i = 0; i < PHONES; i++) {
			SSL_free(sc[i].p->tls.ssl);
			sc[i].p->tls.ssl = NULL;
			sc[i].p->tls.bio = NULL;
		}
		row("CSTP SSL (without its session and BIO)", &total);
		by_site = false;
		for (int i = 0; i < PHONES; i++)
			SSL_SESSION_free(sess[i]);
		row("CSTP session (without the headend's leaf)", &total);
		for (int i = 0; i < PHONES; i++)
			X509_free(peer[i]);
		row("the headend's certificate, decoded (in the session)", &total);
		for (int i = 0; i < PHONES; i++)
			BIO_free(bio[i]);
		row("CSTP membio (stream)", &total);
	} else {
		for (int i = 0; i < PHONES; i++) {
			struct phone *p = sc[i].p;

			if (!p->tls.rec)
				die("the CSTP session was not taken over");
			bio[i] = p->tls.bio;
			BIO_up_ref(bio[i]);
		}
		mark();
		for (int i = 0; i < PHONES; i++)
			tls_close(&sc[i].p->tls);
		row("CSTP session taken over (struct tlsrec: keys, counts)", &total);
		for (int i = 0; i < PHONES; i++)
			BIO_free(bio[i]);
		row("CSTP membio (stream)", &total);
	}
	for (int i = 0; i < PHONES; i++)
		tls_close(&sc[i].p->dtls_s);
	row("DTLS: the kept BIO (send queue)", &total);
	for (int i = 0; i < PHONES; i++) {
		X509_free(sc[i].p->cert);
		sc[i].p->cert = NULL;
	}
	row("the phone's certificate (minted; its key is the pool's)", &total);
	for (int i = 0; i < PHONES; i++) {
		free(sc[i].p->ibuf);
		sc[i].p->ibuf = NULL;
		sc[i].p->ilen = sc[i].p->icap = 0;
		free(sc[i].p->ex.req);
		sc[i].p->ex.req = NULL;
		free(sc[i].p->trace.buf);
		sc[i].p->trace.buf = NULL;
	}
	row("input buffer, kept request, trace", &total);
	for (int i = 0; i < PHONES; i++)
		phone_release(sc[i].p);
	row("whatever else phone_release() frees", &total);
	for (int i = 0; i < PHONES; i++) {
		dtlsrec_ctx_free(sc[i].w.rec_ctx);
		sc[i].w.rec_ctx = NULL;
	}
	row("the worker's dtlsrec_ctx (one a worker: here one a phone)", &total);
	printf("| %-58s | %7.0f | %7.0f |\n", "total of the above", (double)total / PHONES, 0.0);
	printf("| %-58s | %7zu |         |\n", "struct phone (in the worker's array)",
	       sizeof(struct phone));
	printf("\nleft in the heap after the ladder, per phone: %.0f B\n",
	       ((double)heap() - (double)start) / PHONES);
	decoded_cert();
	per_worker(&sc[0].fleet);
	if (n_freed)
		sites_print("the CSTP SSL (its first row)");
	for (int i = 0; i < PHONES; i++)
		script_free(&sc[i]);
	sk_X509_NAME_pop_free(cas, X509_NAME_free);
	identity_keys_free(keys);
	identity_ca_free(ca);
	script_pki_teardown(NULL);
	return 0;
}
