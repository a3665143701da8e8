/* SPDX-License-Identifier: MIT */
/*
 * Tests for store.c against the real librrd in a private directory: the file
 * layout as rrd_info_r() reports it, values read back through rrd_fetch_r()
 * (exactly, or identically on agent and central), skipping of stale samples
 * (also across a restart), name validation, recreation of a deleted file,
 * temporary files and failures. The same again through a real rrdcached that
 * each test of the "rrdcached" case starts on a private UNIX socket and a
 * loopback TCP port (skipped, saying so, when rrdcached is not installed):
 * samples go to its cache, not the file, until the test flushes them; a lost
 * connection fails one write without SIGPIPE and the next write reconnects.
 */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>
#include <rrd_client.h>

#include "common.h"
#include "record.h"
#include "store.h"

/* A multiple of 600, so that every step below divides it. */
#define T0 INT64_C(1699999800)
#define HOST "web1"

static char *base;    /* owned: the test's private directory */
static char *datadir; /* owned: base/data */

static void
setup(void)
{
	base = test_mkdtemp();
	datadir = xasprintf("%s/data", base);
	ck_assert_int_eq(mkdir(datadir, 0755), 0);
}

static void
teardown(void)
{
	test_rm_rf(base);
	free(datadir);
	free(base);
	datadir = base = NULL;
}

/* A record of schema sc at time t, every field set to v (NAN when v is NAN). */
static struct record
make_record(const struct schema *sc, const char *instance, int64_t t, double v)
{
	struct record_batch b = { .time = t };
	struct record rec = *record_batch_add(&b, sc, instance);

	for (size_t i = 0; i < sc->n_fields; i++)
		rec.values[i] = v;
	record_batch_done(&b);
	return rec;
}

static char *
rrd_file(const char *host, const char *series)
{
	return xasprintf("%s/%s/%s.rrd", datadir, host, series);
}

/* Number of entries in dir, "." and ".." aside; -1 when it cannot be read. */
static int
count_entries(const char *dir, const char *must_end_with)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name), suffix;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (!must_end_with)
			continue;
		suffix = strlen(must_end_with);
		ck_assert_msg(len > suffix &&
				strcmp(de->d_name + len - suffix, must_end_with) == 0,
			"unexpected file '%s' in '%s'", de->d_name, dir);
	}
	(void)closedir(d);
	return n;
}

static const rrd_info_t *
info_find(const rrd_info_t *info, const char *key)
{
	for (; info; info = info->next)
		if (strcmp(info->key, key) == 0)
			return info;
	return NULL;
}

static const rrd_info_t *
info_get(const rrd_info_t *info, const char *key, rrd_info_type_t type)
{
	const rrd_info_t *i = info_find(info, key);

	ck_assert_msg(i != NULL, "rrd_info has no '%s'", key);
	ck_assert_int_eq(i->type, type);
	return i;
}

static unsigned long
info_cnt(const rrd_info_t *info, const char *key)
{
	return info_get(info, key, RD_I_CNT)->value.u_cnt;
}

static const char *
info_str(const rrd_info_t *info, const char *key)
{
	return info_get(info, key, RD_I_STR)->value.u_str;
}

static void
assert_bound(const rrd_info_t *info, const char *key, double want)
{
	double got = info_get(info, key, RD_I_VAL)->value.u_val;

	if (isnan(want))
		ck_assert_msg(isnan(got), "%s = %g, want U", key, got);
	else
		ck_assert_msg(got == want, "%s = %g, want %g", key, got, want);
}

/* The archives expected for a step, written out by hand from the table in store.c. */
static const struct layout {
	unsigned step;
	unsigned long pdp_per_row[5];
	unsigned long rows[5];
} layouts[] = {
	{ 10, { 1, 6, 60, 360, 8640 }, { 360, 1440, 1008, 744, 366 } },
	{ 1, { 1, 60, 600, 3600, 86400 }, { 3600, 1440, 1008, 744, 366 } },
	{ 600, { 1, 1, 1, 6, 144 }, { 6, 144, 1008, 744, 366 } },
	/* A step that divides no resolution: rows round up to cover the span. */
	{ 7, { 1, 8, 85, 514, 12342 }, { 515, 1543, 1017, 745, 367 } },
};

static void
assert_layout(const char *path, const struct schema *sc, const struct layout *l)
{
	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX" };
	rrd_info_t *info;
	char key[128];
	int n_ds = 0;

	rrd_clear_error();
	info = rrd_info_r(path);
	ck_assert_msg(info != NULL, "rrd_info_r: %s", rrd_get_error());
	ck_assert_uint_eq(info_cnt(info, "step"), l->step);
	ck_assert_int_eq(info_cnt(info, "last_update"), T0);
	for (size_t i = 0; i < sc->n_fields; i++) {
		const struct field_def *fd = &sc->fields[i];

		(void)snprintf(key, sizeof(key), "ds[%s].type", fd->name);
		ck_assert_str_eq(info_str(info, key), "GAUGE");
		(void)snprintf(key, sizeof(key), "ds[%s].minimal_heartbeat", fd->name);
		ck_assert_uint_eq(info_cnt(info, key), 2 * l->step);
		(void)snprintf(key, sizeof(key), "ds[%s].min", fd->name);
		assert_bound(info, key, fd->min);
		(void)snprintf(key, sizeof(key), "ds[%s].max", fd->name);
		assert_bound(info, key, fd->max);
	}
	for (const rrd_info_t *i = info; i; i = i->next)
		if (strncmp(i->key, "ds[", 3) == 0 && strstr(i->key, "].type"))
			n_ds++;
	ck_assert_int_eq(n_ds, (int)sc->n_fields);
	for (size_t a = 0; a < 15; a++) {
		(void)snprintf(key, sizeof(key), "rra[%zu].cf", a);
		ck_assert_str_eq(info_str(info, key), cfs[a % 3]);
		(void)snprintf(key, sizeof(key), "rra[%zu].pdp_per_row", a);
		ck_assert_uint_eq(info_cnt(info, key), l->pdp_per_row[a / 3]);
		(void)snprintf(key, sizeof(key), "rra[%zu].rows", a);
		ck_assert_uint_eq(info_cnt(info, key), l->rows[a / 3]);
		(void)snprintf(key, sizeof(key), "rra[%zu].xff", a);
		ck_assert(info_get(info, key, RD_I_VAL)->value.u_val == 0.5);
	}
	ck_assert_ptr_null(info_find(info, "rra[15].cf"));
	rrd_info_free(info);
}

START_TEST(test_layout)
{
	const struct layout *l = &layouts[_i];
	_cleanup_(store_freep) struct store *s = store_new(datadir, l->step);
	const struct schema *schemas[] = { &schema_cpu, &schema_memory, &schema_if };

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < ELEMENTSOF(schemas); i++) {
		struct record rec = make_record(schemas[i], NULL, T0, 1);
		_cleanup_free_ char *path = rrd_file(HOST, rec.series);

		ck_assert_int_eq(store_write(s, HOST, &rec), 1);
		assert_layout(path, schemas[i], l);
	}
	ck_assert_uint_eq(store_get_stats(s)->created, ELEMENTSOF(schemas));
	ck_assert_uint_eq(store_get_stats(s)->updated, ELEMENTSOF(schemas));
	ck_assert_uint_eq(store_series_count(s), ELEMENTSOF(schemas));
}
END_TEST

START_TEST(test_path)
{
	_cleanup_(store_freep) struct store *s = store_new(datadir, 10);
	_cleanup_free_ char *want = rrd_file(HOST, "df-root");
	_cleanup_free_ char *got = store_path(s, HOST, "df-root");

	ck_assert_str_eq(got, want);
	ck_assert_ptr_null(store_path(s, "..", "cpu"));
	ck_assert_ptr_null(store_path(s, HOST, "a/b"));
}
END_TEST

START_TEST(test_new_bad_arguments)
{
	ck_assert_ptr_null(store_new(NULL, 10));
	ck_assert_ptr_null(store_new("", 10));
	ck_assert_ptr_null(store_new(datadir, 0));
	ck_assert_ptr_null(store_free(NULL));
}
END_TEST

#define N_SAMPLES 30

/*
 * Values that librrd 1.7 reads back bit for bit: integers below 2^53 and short
 * binary fractions. Its own number parser is not correctly rounded, so
 * something like 100/3 may come back an ulp off (see test_values_identical).
 */
static double
exact_value(const struct schema *sc, int k, size_t field)
{
	if (field == 1)
		return NAN;
	if (sc->fields[field].max == 100)
		return 12.5 * (k % 8) + 0.125 * (double)field;
	return 16e9 + k * 4096.0 + (double)field * 0.5;
}

/* Values no decimal text short of %.17g names exactly. */
static double
awkward_value(const struct schema *sc, int k, size_t field)
{
	if (field == 1)
		return NAN;
	if (sc->fields[field].max == 100)
		return 100.0 / 3.0 * (k % 2 + 1) / (double)(field + 1);
	if (field == 2)
		return 1e-300 * (k + 1) / 7.0;
	return 16e9 / 3.0 + k * 4096.1 + (double)field / 10.0;
}

typedef double (*value_fn)(const struct schema *sc, int k, size_t field);

/* Writes N_SAMPLES records of sc, one per step from t0, with values from fn. */
static void
write_samples(struct store *s, const struct schema *sc, unsigned step, int64_t t0,
	value_fn fn)
{
	for (int k = 0; k < N_SAMPLES; k++) {
		struct record rec = make_record(sc, NULL, t0 + k * (int64_t)step, 0);

		for (size_t f = 0; f < sc->n_fields; f++)
			rec.values[f] = fn(sc, k, f);
		ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	}
}

/*
 * Fetches AVERAGE at step resolution over the samples written from t0; the
 * caller frees the data with rrd_freemem(). Row k - 1 holds sample k, k >= 1.
 */
static rrd_value_t *
fetch_samples(const char *path, const struct schema *sc, unsigned step, int64_t t0)
{
	time_t start = (time_t)t0, end = (time_t)(t0 + (N_SAMPLES - 1) * (int64_t)step);
	unsigned long fstep = 0, n_ds = 0;
	char **names = NULL;
	rrd_value_t *data = NULL;

	rrd_clear_error();
	ck_assert_msg(rrd_fetch_r(path, "AVERAGE", &start, &end, &fstep, &n_ds, &names,
			      &data) == 0, "rrd_fetch_r: %s", rrd_get_error());
	ck_assert_uint_eq(fstep, step);
	ck_assert_uint_eq(n_ds, sc->n_fields);
	/* The answer's row r is the interval that ends at start + (r + 1) * step. */
	ck_assert_int_eq(start, t0);
	ck_assert_int_ge((end - start) / (time_t)fstep, N_SAMPLES - 1);
	for (size_t f = 0; f < n_ds; f++)
		rrd_freemem(names[f]);
	rrd_freemem(names);
	return data;
}

static void
assert_same_value(const struct schema *sc, int k, size_t f, double got, double want)
{
	const char *name = sc->fields[f].name;

	if (isnan(want))
		ck_assert_msg(isnan(got), "%s[%d] = %.17g, want NAN", name, k, got);
	else
		ck_assert_msg(got == want, "%s[%d] = %.17g, want %.17g", name, k, got,
			want);
}

START_TEST(test_values_read_back)
{
	static const unsigned steps[] = { 10, 1, 7 };
	unsigned step = steps[_i];
	_cleanup_(store_freep) struct store *s = store_new(datadir, step);
	const struct schema *schemas[] = { &schema_cpu, &schema_memory };
	int64_t t0 = T0 - T0 % step;

	for (size_t i = 0; i < ELEMENTSOF(schemas); i++) {
		const struct schema *sc = schemas[i];
		_cleanup_free_ char *path = rrd_file(HOST, sc->kind);
		rrd_value_t *data;

		write_samples(s, sc, step, t0, exact_value);
		data = fetch_samples(path, sc, step, t0);
		for (int k = 1; k < N_SAMPLES; k++) {
			const rrd_value_t *row = &data[(size_t)(k - 1) * sc->n_fields];

			for (size_t f = 0; f < sc->n_fields; f++) {
				double want = exact_value(sc, k, f);

				assert_same_value(sc, k, f, row[f], want);
			}
		}
		rrd_freemem(data);
	}
	ck_assert_uint_eq(store_get_stats(s)->updated, 2 * N_SAMPLES);
	ck_assert_uint_eq(store_get_stats(s)->failed, 0);
	ck_assert_uint_eq(store_series_count(s), 2);
}
END_TEST

/*
 * What the agent stores and what the central stores from the same records
 * are the same bits, even for values librrd does not read back exactly.
 */
START_TEST(test_values_identical)
{
	_cleanup_free_ char *agent_dir = xasprintf("%s/agent", base);
	_cleanup_(store_freep) struct store *agent = NULL;
	_cleanup_(store_freep) struct store *central = store_new(datadir, 10);
	const struct schema *schemas[] = { &schema_cpu, &schema_memory };

	ck_assert_int_eq(mkdir(agent_dir, 0755), 0);
	agent = store_new(agent_dir, 10);
	for (size_t i = 0; i < ELEMENTSOF(schemas); i++) {
		const struct schema *sc = schemas[i];
		_cleanup_free_ char *a_path = xasprintf("%s/%s/%s.rrd", agent_dir, HOST,
			sc->kind);
		_cleanup_free_ char *c_path = rrd_file(HOST, sc->kind);
		rrd_value_t *a, *c;

		write_samples(agent, sc, 10, T0, awkward_value);
		write_samples(central, sc, 10, T0, awkward_value);
		a = fetch_samples(a_path, sc, 10, T0);
		c = fetch_samples(c_path, sc, 10, T0);
		for (int k = 1; k < N_SAMPLES; k++)
			for (size_t f = 0; f < sc->n_fields; f++) {
				size_t j = (size_t)(k - 1) * sc->n_fields + f;
				double want = awkward_value(sc, k, f);

				assert_same_value(sc, k, f, c[j], a[j]);
				if (isnan(want))
					continue;
				ck_assert_msg(fabs(a[j] - want) <= fabs(want) * 1e-15,
					"%.17g too far from %.17g", a[j], want);
			}
		rrd_freemem(a);
		rrd_freemem(c);
	}
}
END_TEST

START_TEST(test_stale_skipped)
{
	_cleanup_(store_freep) struct store *s = store_new(datadir, 10);
	struct record rec = make_record(&schema_memory, NULL, T0, 5);

	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	ck_assert_int_eq(store_write(s, HOST, &rec), 0);
	rec.time = T0 - 10;
	ck_assert_int_eq(store_write(s, HOST, &rec), 0);
	rec.time = T0 + 10;
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	ck_assert_uint_eq(store_get_stats(s)->skipped, 2);
	ck_assert_uint_eq(store_get_stats(s)->updated, 2);
	ck_assert_uint_eq(store_get_stats(s)->failed, 0);
	ck_assert_uint_eq(store_get_stats(s)->created, 1);
	ck_assert_uint_eq(store_series_count(s), 1);
	ck_assert_str_eq(store_last_error(s), "");
}
END_TEST

START_TEST(test_restart)
{
	_cleanup_(store_freep) struct store *s = store_new(datadir, 10);
	struct record rec = make_record(&schema_load, NULL, T0, 1);

	for (int k = 0; k < 4; k++) {
		rec.time = T0 + k * 10;
		ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	}
	s = store_free(s);

	/* A new store over the same files, as after a restart. */
	s = store_new(datadir, 10);
	rec.time = T0 + 20;
	ck_assert_int_eq(store_write(s, HOST, &rec), 0);
	rec.time = T0 + 30;
	ck_assert_int_eq(store_write(s, HOST, &rec), 0);
	ck_assert_uint_eq(store_series_count(s), 0);
	rec.time = T0 + 40;
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	ck_assert_uint_eq(store_get_stats(s)->skipped, 2);
	ck_assert_uint_eq(store_get_stats(s)->updated, 1);
	ck_assert_uint_eq(store_get_stats(s)->created, 0);
	ck_assert_uint_eq(store_get_stats(s)->failed, 0);
	ck_assert_uint_eq(store_series_count(s), 1);
}
END_TEST

START_TEST(test_updated_behind_our_back)
{
	_cleanup_(store_freep) struct store *s = store_new(datadir, 10);
	_cleanup_free_ char *path = rrd_file(HOST, "uptime");
	struct record rec = make_record(&schema_uptime, NULL, T0, 1);
	const char *argv[] = { "1700000000:5" };

	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	/* Another writer moves the file past our cached last update. */
	rrd_clear_error();
	ck_assert_int_eq(rrd_update_r(path, NULL, 1, argv), 0);
	rec.time = 1700000000 - 10;
	ck_assert_int_eq(store_write(s, HOST, &rec), 0);
	rec.time = 1700000000 - 5;
	ck_assert_int_eq(store_write(s, HOST, &rec), 0);
	rec.time = 1700000000 + 10;
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	ck_assert_uint_eq(store_get_stats(s)->skipped, 2);
	ck_assert_uint_eq(store_get_stats(s)->failed, 0);
}
END_TEST

START_TEST(test_invalid_names)
{
	static const char *const bad[] = { "..", "a/b", "", ".hidden", "-x", "../etc" };
	_cleanup_(store_freep) struct store *s = store_new(datadir, 10);
	struct record good = make_record(&schema_memory, NULL, T0, 1);

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct record rec = good;

		ck_assert_int_eq(store_write(s, bad[i], &good), -EINVAL);
		(void)snprintf(rec.series, sizeof(rec.series), "%s", bad[i]);
		ck_assert_int_eq(store_write(s, HOST, &rec), -EINVAL);
	}
	ck_assert_int_eq(store_write(s, NULL, &good), -EINVAL);
	good.schema = NULL;
	ck_assert_int_eq(store_write(s, HOST, &good), -EINVAL);
	ck_assert_int_eq(count_entries(datadir, NULL), 0);
	ck_assert_int_eq(count_entries(base, NULL), 1);
	ck_assert_uint_eq(store_get_stats(s)->created, 0);
	ck_assert_uint_eq(store_series_count(s), 0);
}
END_TEST

START_TEST(test_deleted_file_recreated)
{
	_cleanup_(store_freep) struct store *s = store_new(datadir, 10);
	_cleanup_free_ char *path = rrd_file(HOST, "swap");
	_cleanup_free_ char *dir = xasprintf("%s/%s", datadir, HOST);
	struct record rec = make_record(&schema_swap, NULL, T0, 1);

	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	ck_assert_int_eq(unlink(path), 0);
	rec.time = T0 + 10;
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	ck_assert_int_eq(access(path, F_OK), 0);
	rec.time = T0 + 20;
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);

	/* Even the host directory may go. */
	test_rm_rf(dir);
	rec.time = T0 + 30;
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	rrd_clear_error();
	ck_assert_int_eq(rrd_last_r(path), T0 + 30);
	ck_assert_uint_eq(store_get_stats(s)->created, 3);
	ck_assert_uint_eq(store_get_stats(s)->updated, 4);
	ck_assert_uint_eq(store_get_stats(s)->failed, 0);
	ck_assert_uint_eq(store_series_count(s), 1);
}
END_TEST

START_TEST(test_no_temporary_files)
{
	_cleanup_(store_freep) struct store *s = store_new(datadir, 10);
	_cleanup_free_ char *dir = xasprintf("%s/%s", datadir, HOST);
	const struct schema *schemas[] = { &schema_cpu, &schema_df, &schema_disk };

	for (size_t i = 0; i < ELEMENTSOF(schemas); i++) {
		struct record rec = make_record(schemas[i], "sda", T0, 1);

		ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	}
	ck_assert_int_eq(count_entries(dir, ".rrd"), 3);
	ck_assert_int_eq(count_entries(datadir, NULL), 1);
}
END_TEST

START_TEST(test_many_series)
{
	_cleanup_(store_freep) struct store *s = store_new(datadir, 3600);
	_cleanup_free_ char *dir = xasprintf("%s/%s", datadir, HOST);
	char name[32];

	/* Enough series to grow the table a few times. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 300; i++) {
			struct record rec;

			(void)snprintf(name, sizeof(name), "%d", i);
			rec = make_record(&schema_uptime, name, T0 + pass * 3600, i);
			ck_assert_int_eq(store_write(s, HOST, &rec), 1);
			ck_assert_int_eq(store_write(s, HOST, &rec), 0);
		}
	ck_assert_uint_eq(store_series_count(s), 300);
	ck_assert_uint_eq(store_get_stats(s)->created, 300);
	ck_assert_uint_eq(store_get_stats(s)->updated, 600);
	ck_assert_uint_eq(store_get_stats(s)->skipped, 600);
	ck_assert_int_eq(count_entries(dir, ".rrd"), 300);
}
END_TEST

START_TEST(test_host_dir_is_a_file)
{
	_cleanup_(store_freep) struct store *s = store_new(datadir, 10);
	struct record rec = make_record(&schema_cpu, NULL, T0, 1);
	int r;

	test_write_file(datadir, HOST, "not a directory\n");
	r = store_write(s, HOST, &rec);
	ck_assert_int_eq(r, -ENOTDIR);
	ck_assert_str_eq(store_last_error(s), strerror(ENOTDIR));
	ck_assert_uint_eq(store_get_stats(s)->failed, 1);
	ck_assert_uint_eq(store_get_stats(s)->created, 0);
	ck_assert_uint_eq(store_series_count(s), 0);
}
END_TEST

START_TEST(test_host_dir_dangling_symlink)
{
	_cleanup_(store_freep) struct store *s = store_new(datadir, 10);
	_cleanup_free_ char *link = xasprintf("%s/%s", datadir, HOST);
	_cleanup_free_ char *target = xasprintf("%s/nowhere/deeper", base);
	struct record rec = make_record(&schema_cpu, NULL, T0, 1);

	/* The file is missing, so the store tries to create it, and cannot. */
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(store_write(s, HOST, &rec), -ENOENT);
	ck_assert_uint_eq(store_get_stats(s)->failed, 1);
	ck_assert_int_eq(count_entries(base, NULL), 1);
}
END_TEST

START_TEST(test_unwritable)
{
	_cleanup_(store_freep) struct store *s = store_new(datadir, 10);
	struct record rec = make_record(&schema_cpu, NULL, T0, 1);

	if (geteuid() == 0)
		return; /* Root writes anywhere; the other tests cover this case. */
	ck_assert_int_eq(chmod(datadir, 0555), 0);
	ck_assert_int_eq(store_write(s, HOST, &rec), -EACCES);
	ck_assert_int_eq(chmod(datadir, 0755), 0);
	ck_assert_int_eq(count_entries(datadir, NULL), 0);
}
END_TEST

START_TEST(test_create_fails)
{
	_cleanup_(store_freep) struct store *s = store_new(datadir, 10);
	_cleanup_free_ char *dir = xasprintf("%s/%s", datadir, HOST);
	_cleanup_free_ char *tmp = xasprintf("%s/cpu.rrd.tmp.%ld", dir, (long)getpid());
	struct record rec = make_record(&schema_cpu, NULL, T0, 1);

	/* A directory where the temporary file should go makes librrd fail. */
	ck_assert_int_eq(mkdir_p(tmp, 0755), 0);
	ck_assert_int_eq(store_write(s, HOST, &rec), -EIO);
	ck_assert_str_ne(store_last_error(s), "");
	ck_assert_uint_eq(store_get_stats(s)->failed, 1);
	ck_assert_uint_eq(store_series_count(s), 0);
	/* Only that directory is left: no file, no temporary of librrd's. */
	ck_assert_int_eq(count_entries(dir, NULL), 1);

	/* Once the obstacle is gone, the next sample creates the file. */
	ck_assert_int_eq(rmdir(tmp), 0);
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	ck_assert_int_eq(count_entries(dir, ".rrd"), 1);
}
END_TEST

START_TEST(test_not_an_rrd)
{
	_cleanup_(store_freep) struct store *s = store_new(datadir, 10);
	struct record rec = make_record(&schema_load, NULL, T0, 1);

	test_write_file(datadir, HOST "/load.rrd", "garbage\n");
	ck_assert_int_eq(store_write(s, HOST, &rec), -EIO);
	ck_assert_str_ne(store_last_error(s), "");
	ck_assert_uint_eq(store_get_stats(s)->failed, 1);
	ck_assert_uint_eq(store_series_count(s), 0);
}
END_TEST

START_TEST(test_new_cached_bad_arguments)
{
	_cleanup_(store_freep) struct store *s = NULL;
	struct record rec = make_record(&schema_cpu, NULL, T0, 1);
	_cleanup_free_ char *path = rrd_file(HOST, "cpu");

	ck_assert_ptr_null(store_new_cached(datadir, 10, ""));
	ck_assert_ptr_null(store_new_cached(datadir, 10, "unix:"));
	ck_assert_ptr_null(store_new_cached(NULL, 10, "unix:/x"));
	ck_assert_ptr_null(store_new_cached(datadir, 0, "unix:/x"));
	/* No address: direct writes. */
	s = store_new_cached(datadir, 10, NULL);
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	rrd_clear_error();
	ck_assert_int_eq(rrd_last_r(path), T0);
	ck_assert_uint_eq(store_get_stats(s)->connects, 0);
}
END_TEST

/* Blocked or pending SIGPIPE would betray a guard that did not clean up. */
static void
assert_sigpipe_clean(void)
{
	sigset_t mask, pending;

	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, NULL, &mask), 0);
	ck_assert_int_eq(sigismember(&mask, SIGPIPE), 0);
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert_int_eq(sigismember(&pending, SIGPIPE), 0);
}

START_TEST(test_cached_unreachable)
{
	_cleanup_free_ char *address = xasprintf("unix:%s/nowhere.sock", base);
	_cleanup_(store_freep) struct store *s = store_new_cached(datadir, 10, address);
	_cleanup_free_ char *dir = xasprintf("%s/%s", datadir, HOST);
	struct record rec = make_record(&schema_cpu, NULL, T0, 1);

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(store_write(s, HOST, &rec), -ENOTCONN);
	ck_assert_msg(strstr(store_last_error(s), "rrdcached"), "error '%s'",
		store_last_error(s));
	ck_assert_int_eq(store_write(s, HOST, &rec), -ENOTCONN);
	ck_assert_uint_eq(store_get_stats(s)->failed, 2);
	ck_assert_uint_eq(store_get_stats(s)->created, 0);
	ck_assert_uint_eq(store_get_stats(s)->connects, 0);
	ck_assert_uint_eq(store_series_count(s), 0);
	ck_assert_int_le(count_entries(dir, ".rrd"), 0);
	assert_sigpipe_clean();
}
END_TEST

/*
 * The rrdcached tests. Each starts its own daemon in the foreground, writing
 * only under datadir (-B -b), never on its own before the test flushes (-w
 * 3600), listening on a UNIX socket in base and a loopback TCP port.
 */
static const char *rrdcached_bin; /* found when the suite is built */
static pid_t cached_pid = -1;
static char *cached_unix;         /* owned: "unix:<base>/rrdcached.sock" */
static char *cached_tcp;          /* owned: "127.0.0.1:<port>" */

static char *
find_program(const char *name)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *dirs = xasprintf("%s:/usr/sbin:/usr/bin:/sbin:/bin",
		path ? path : "");
	char *save = NULL;

	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *p = xasprintf("%s/%s", d, name);

		if (*d && access(p, X_OK) == 0)
			return TAKE_PTR(p);
	}
	return NULL;
}

static bool
can_connect(const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	ck_assert_int_ge(fd, 0);
	ok = connect(fd, sa, len) == 0;
	(void)close(fd);
	return ok;
}

/* Waits, up to 10 s, until the daemon answers on both addresses. */
static void
cached_wait_ready(void)
{
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	struct sockaddr_in si = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };

	(void)snprintf(su.sun_path, sizeof(su.sun_path), "%s",
		cached_unix + strlen("unix:"));
	si.sin_port = htons((uint16_t)atoi(strrchr(cached_tcp, ':') + 1));
	for (int i = 0; i < 1000; i++) {
		int status;

		ck_assert_msg(waitpid(cached_pid, &status, WNOHANG) == 0,
			"rrdcached exited early: see %s/rrdcached.log", base);
		if (can_connect((struct sockaddr *)&su, sizeof(su)) &&
			can_connect((struct sockaddr *)&si, sizeof(si)))
			return;
		(void)nanosleep(&pause, NULL);
	}
	ck_abort_msg("rrdcached did not start listening in 10 s");
}

static void
cached_start(void)
{
	_cleanup_free_ char *pid_file = xasprintf("%s/rrdcached.pid", base);
	_cleanup_free_ char *log_file = xasprintf("%s/rrdcached.log", base);
	pid_t parent = getpid();

	cached_pid = fork();
	ck_assert_int_ge(cached_pid, 0);
	if (cached_pid == 0) {
		/* It must not outlive a test that fails before its teardown. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(127);
		execl(rrdcached_bin, "rrdcached", "-g", "-l", cached_unix, "-l",
			cached_tcp, "-p", pid_file, "-o", log_file, "-B", "-b", datadir,
			"-w", "3600", "-f", "7200", (char *)NULL);
		_exit(127);
	}
	cached_wait_ready();
}

/* SIGTERM: with no journal, rrdcached writes out everything it holds, then exits. */
static void
cached_stop(void)
{
	const struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };

	if (cached_pid <= 0)
		return;
	ck_assert_int_eq(kill(cached_pid, SIGTERM), 0);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(cached_pid, NULL, WNOHANG) == cached_pid) {
			cached_pid = -1;
			return;
		}
		(void)nanosleep(&pause, NULL);
	}
	(void)kill(cached_pid, SIGKILL);
	(void)waitpid(cached_pid, NULL, 0);
	cached_pid = -1;
	ck_abort_msg("rrdcached did not exit within 10 s of SIGTERM");
}

static void
setup_cached(void)
{
	setup();
	cached_unix = xasprintf("unix:%s/rrdcached.sock", base);
	cached_tcp = xasprintf("127.0.0.1:%u", test_free_tcp_port());
	cached_start();
}

static void
teardown_cached(void)
{
	/* The suite may run without fork (CK_FORK=no): leave no connection behind. */
	(void)rrdc_disconnect();
	/* What it still holds is of no interest now, and SIGTERM takes 0.7 s. */
	if (cached_pid > 0) {
		(void)kill(cached_pid, SIGKILL);
		(void)waitpid(cached_pid, NULL, 0);
		cached_pid = -1;
	}
	free(cached_unix);
	free(cached_tcp);
	cached_unix = cached_tcp = NULL;
	teardown();
}

/* Has rrdcached write out what it holds for path (rrdtool flushcached does this). */
static void
cached_flush(const char *path)
{
	rrd_clear_error();
	ck_assert_msg(rrdc_flush_if_daemon(cached_unix, path) == 0, "flush '%s': %s",
		path, rrd_get_error());
}

static int64_t
file_last(const char *path)
{
	time_t t;

	rrd_clear_error();
	t = rrd_last_r(path);
	ck_assert_msg(t > 0, "rrd_last_r '%s': %s", path, rrd_get_error());
	return t;
}

START_TEST(test_cached_values_read_back)
{
	static const unsigned steps[] = { 10, 1, 7 };
	unsigned step = steps[_i];
	_cleanup_(store_freep) struct store *s =
		store_new_cached(datadir, step, cached_unix);
	const struct schema *schemas[] = { &schema_cpu, &schema_memory };
	int64_t t0 = T0 - T0 % step;

	for (size_t i = 0; i < ELEMENTSOF(schemas); i++) {
		const struct schema *sc = schemas[i];
		_cleanup_free_ char *path = rrd_file(HOST, sc->kind);
		rrd_value_t *data;

		write_samples(s, sc, step, t0, exact_value);
		/* rrdcached created the file and holds every sample so far. */
		ck_assert_int_eq(file_last(path), t0 - 1);
		cached_flush(path);
		ck_assert_int_eq(file_last(path), t0 + (N_SAMPLES - 1) * (int64_t)step);
		data = fetch_samples(path, sc, step, t0);
		for (int k = 1; k < N_SAMPLES; k++) {
			const rrd_value_t *row = &data[(size_t)(k - 1) * sc->n_fields];

			for (size_t f = 0; f < sc->n_fields; f++)
				assert_same_value(sc, k, f, row[f], exact_value(sc, k, f));
		}
		rrd_freemem(data);
	}
	ck_assert_uint_eq(store_get_stats(s)->created, 2);
	ck_assert_uint_eq(store_get_stats(s)->updated, 2 * N_SAMPLES);
	ck_assert_uint_eq(store_get_stats(s)->failed, 0);
	ck_assert_uint_eq(store_get_stats(s)->connects, 1);
	ck_assert_uint_eq(store_series_count(s), 2);
	assert_sigpipe_clean();
}
END_TEST

START_TEST(test_cached_layout)
{
	const struct layout *l = &layouts[_i];
	_cleanup_(store_freep) struct store *s =
		store_new_cached(datadir, l->step, cached_unix);
	const struct schema *schemas[] = { &schema_cpu, &schema_memory, &schema_if };

	for (size_t i = 0; i < ELEMENTSOF(schemas); i++) {
		struct record rec = make_record(schemas[i], NULL, T0, 1);
		_cleanup_free_ char *path = rrd_file(HOST, rec.series);

		ck_assert_int_eq(store_write(s, HOST, &rec), 1);
		cached_flush(path);
		assert_layout(path, schemas[i], l);
	}
	ck_assert_uint_eq(store_get_stats(s)->created, ELEMENTSOF(schemas));
	ck_assert_int_eq(count_entries(datadir, NULL), 1);
}
END_TEST

/* Through rrdcached or not, the same records make the same bits. */
START_TEST(test_cached_values_identical)
{
	_cleanup_free_ char *direct_dir = xasprintf("%s/direct", base);
	_cleanup_(store_freep) struct store *direct = NULL;
	_cleanup_(store_freep) struct store *cached =
		store_new_cached(datadir, 10, cached_unix);
	const struct schema *sc = &schema_memory;
	_cleanup_free_ char *d_path = xasprintf("%s/%s/%s.rrd", direct_dir, HOST,
		sc->kind);
	_cleanup_free_ char *c_path = rrd_file(HOST, sc->kind);
	rrd_value_t *d, *c;

	ck_assert_int_eq(mkdir(direct_dir, 0755), 0);
	direct = store_new(direct_dir, 10);
	write_samples(direct, sc, 10, T0, awkward_value);
	write_samples(cached, sc, 10, T0, awkward_value);
	cached_flush(c_path);
	d = fetch_samples(d_path, sc, 10, T0);
	c = fetch_samples(c_path, sc, 10, T0);
	for (int k = 1; k < N_SAMPLES; k++)
		for (size_t f = 0; f < sc->n_fields; f++) {
			size_t j = (size_t)(k - 1) * sc->n_fields + f;

			assert_same_value(sc, k, f, c[j], d[j]);
		}
	rrd_freemem(d);
	rrd_freemem(c);
}
END_TEST

START_TEST(test_cached_stale_skipped)
{
	_cleanup_(store_freep) struct store *s = store_new_cached(datadir, 10, cached_unix);
	struct record rec = make_record(&schema_memory, NULL, T0, 5);

	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	ck_assert_int_eq(store_write(s, HOST, &rec), 0);
	rec.time = T0 - 10;
	ck_assert_int_eq(store_write(s, HOST, &rec), 0);
	rec.time = T0 + 10;
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	ck_assert_uint_eq(store_get_stats(s)->skipped, 2);
	ck_assert_uint_eq(store_get_stats(s)->updated, 2);
	ck_assert_uint_eq(store_get_stats(s)->failed, 0);
	ck_assert_str_eq(store_last_error(s), "");
}
END_TEST

/*
 * A restart, while rrdcached still holds the samples: the new store does not
 * know the last update (T0 + 33, not a multiple of the step) until the daemon
 * refuses a sample; that one and later stale ones are skipped, not failures.
 */
START_TEST(test_cached_restart)
{
	_cleanup_(store_freep) struct store *s = store_new_cached(datadir, 10, cached_unix);
	_cleanup_free_ char *path = rrd_file(HOST, "load");
	struct record rec = make_record(&schema_load, NULL, T0, 1);
	static const int64_t first[] = { 0, 10, 20, 33 };

	for (size_t k = 0; k < ELEMENTSOF(first); k++) {
		rec.time = T0 + first[k];
		ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	}
	s = store_free(s);

	s = store_new_cached(datadir, 10, cached_unix);
	rec.time = T0 + 30;
	ck_assert_int_eq(store_write(s, HOST, &rec), 0);
	rec.time = T0 + 31;
	ck_assert_int_eq(store_write(s, HOST, &rec), 0);
	rec.time = T0 + 33;
	ck_assert_int_eq(store_write(s, HOST, &rec), 0);
	ck_assert_uint_eq(store_series_count(s), 0);
	rec.time = T0 + 40;
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	ck_assert_uint_eq(store_get_stats(s)->skipped, 3);
	ck_assert_uint_eq(store_get_stats(s)->updated, 1);
	ck_assert_uint_eq(store_get_stats(s)->created, 0);
	ck_assert_uint_eq(store_get_stats(s)->failed, 0);
	cached_flush(path);
	ck_assert_int_eq(file_last(path), T0 + 40);
}
END_TEST

START_TEST(test_cached_updated_behind_our_back)
{
	_cleanup_(store_freep) struct store *s = store_new_cached(datadir, 10, cached_unix);
	_cleanup_free_ char *path = rrd_file(HOST, "uptime");
	struct record rec = make_record(&schema_uptime, NULL, T0, 1);
	const char *argv[] = { "1700000000:5" };

	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	/* Another writer, through the same daemon, moves past our cached time. */
	rrd_clear_error();
	ck_assert_msg(rrdc_connect(cached_unix) == 0, "%s", rrd_get_error());
	ck_assert_msg(rrdc_update(path, 1, argv) == 0, "%s", rrd_get_error());
	rec.time = 1700000000 - 10;
	ck_assert_int_eq(store_write(s, HOST, &rec), 0);
	rec.time = 1700000000 - 5;
	ck_assert_int_eq(store_write(s, HOST, &rec), 0);
	rec.time = 1700000000 + 10;
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	ck_assert_uint_eq(store_get_stats(s)->skipped, 2);
	ck_assert_uint_eq(store_get_stats(s)->failed, 0);
	cached_flush(path);
	ck_assert_int_eq(file_last(path), 1700000000 + 10);
}
END_TEST

/*
 * A file deleted while rrdcached still holds samples for it is created again,
 * and the samples of the old file do not spoil the new one.
 */
START_TEST(test_cached_deleted_file_recreated)
{
	_cleanup_(store_freep) struct store *s = store_new_cached(datadir, 10, cached_unix);
	_cleanup_free_ char *path = rrd_file(HOST, "swap");
	_cleanup_free_ char *dir = xasprintf("%s/%s", datadir, HOST);
	struct record rec = make_record(&schema_swap, NULL, T0, 1);

	for (int k = 0; k < 3; k++) {
		rec.time = T0 + 10 * k;
		ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	}
	ck_assert_int_eq(unlink(path), 0);
	rec.time = T0 + 100;
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	rec.time = T0 + 110;
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	cached_flush(path);
	ck_assert_int_eq(file_last(path), T0 + 110);

	/* Even the host directory may go. */
	test_rm_rf(dir);
	rec.time = T0 + 120;
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	cached_flush(path);
	ck_assert_int_eq(file_last(path), T0 + 120);
	ck_assert_uint_eq(store_get_stats(s)->created, 3);
	ck_assert_uint_eq(store_get_stats(s)->updated, 6);
	ck_assert_uint_eq(store_get_stats(s)->failed, 0);
	ck_assert_uint_eq(store_series_count(s), 1);
}
END_TEST

/*
 * rrdcached goes away: the write that finds out fails (and the process does
 * not die of SIGPIPE), writes fail while it is down, and the first write
 * after it is back reconnects. Samples it held were written at its shutdown.
 */
START_TEST(test_cached_reconnect)
{
	_cleanup_(store_freep) struct store *s = store_new_cached(datadir, 10, cached_unix);
	_cleanup_free_ char *path = rrd_file(HOST, "cpu");
	struct record rec = make_record(&schema_cpu, NULL, T0, 1);

	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	rec.time = T0 + 10;
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	cached_stop();
	ck_assert_int_eq(file_last(path), T0 + 10);

	rec.time = T0 + 20;
	ck_assert_int_eq(store_write(s, HOST, &rec), -ENOTCONN);
	assert_sigpipe_clean();
	rec.time = T0 + 30;
	ck_assert_int_eq(store_write(s, HOST, &rec), -ENOTCONN);
	ck_assert_msg(strstr(store_last_error(s), "connect"), "error '%s'",
		store_last_error(s));
	ck_assert_uint_eq(store_get_stats(s)->failed, 2);
	ck_assert_uint_eq(store_get_stats(s)->connects, 1);

	cached_start();
	rec.time = T0 + 40;
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	ck_assert_uint_eq(store_get_stats(s)->connects, 2);
	ck_assert_uint_eq(store_get_stats(s)->updated, 3);
	ck_assert_uint_eq(store_get_stats(s)->failed, 2);
	cached_flush(path);
	ck_assert_int_eq(file_last(path), T0 + 40);
	assert_sigpipe_clean();
}
END_TEST

/* A restart between two writes costs nothing: librrd resends on a new connection. */
START_TEST(test_cached_restart_between_writes)
{
	_cleanup_(store_freep) struct store *s = store_new_cached(datadir, 10, cached_unix);
	_cleanup_free_ char *path = rrd_file(HOST, "cpu");
	struct record rec = make_record(&schema_cpu, NULL, T0, 1);

	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	cached_stop();
	cached_start();
	rec.time = T0 + 10;
	ck_assert_int_eq(store_write(s, HOST, &rec), 1);
	ck_assert_uint_eq(store_get_stats(s)->failed, 0);
	cached_flush(path);
	ck_assert_int_eq(file_last(path), T0 + 10);
	assert_sigpipe_clean();
}
END_TEST

/* The value of the last sample of path's first data source, after a flush. */
static double
last_value(const char *path, int64_t *ret_time)
{
	time_t last = 0;
	unsigned long n_ds = 0;
	char **names = NULL, **values = NULL;
	double v;

	rrd_clear_error();
	ck_assert_msg(rrd_lastupdate_r(path, &last, &n_ds, &names, &values) == 0,
		"rrd_lastupdate_r '%s': %s", path, rrd_get_error());
	ck_assert_uint_ge(n_ds, 1);
	v = strtod(values[0], NULL);
	for (unsigned long i = 0; i < n_ds; i++) {
		rrd_freemem(names[i]);
		rrd_freemem(values[i]);
	}
	rrd_freemem(names);
	rrd_freemem(values);
	*ret_time = last;
	return v;
}

static void
assert_batch(struct store *s, const struct record *recs, size_t n, int want_r,
	size_t want_written, size_t want_skipped)
{
	size_t written = 99, skipped = 99;
	int r = store_write_batch(s, HOST, recs, n, &written, &skipped);

	ck_assert_msg(r == want_r, "store_write_batch: %d (%s), want %d", r,
		store_last_error(s), want_r);
	ck_assert_uint_eq(written, want_written);
	ck_assert_uint_eq(skipped, want_skipped);
}

/*
 * One batch of new, stale (known to us, or only to the daemon) and duplicate
 * samples over several files: exact counts, one round trip, values read back.
 */
START_TEST(test_cached_batch_mixed)
{
	_cleanup_(store_freep) struct store *s = store_new_cached(datadir, 10, cached_unix);
	_cleanup_(store_freep) struct store *s2 = NULL;
	_cleanup_free_ char *load = rrd_file(HOST, "load");
	_cleanup_free_ char *uptime = rrd_file(HOST, "uptime");
	_cleanup_free_ char *swap = rrd_file(HOST, "swap");
	struct record first[] = {
		make_record(&schema_load, NULL, T0, 1),
		make_record(&schema_load, NULL, T0 + 10, 2),
		make_record(&schema_uptime, NULL, T0, 100),
		make_record(&schema_swap, NULL, T0, 1000),
	};
	struct record second[] = {
		make_record(&schema_load, NULL, T0 + 10, 99),    /* stale */
		make_record(&schema_load, NULL, T0 + 20, 3),     /* new */
		make_record(&schema_load, NULL, T0 + 20, 98),    /* duplicate */
		make_record(&schema_uptime, NULL, T0 + 10, 101), /* new */
		make_record(&schema_uptime, NULL, T0 + 5, 97),   /* older than the last */
		make_record(&schema_swap, NULL, T0, 96),         /* stale */
		make_record(&schema_swap, NULL, T0 + 10, 1001),  /* new */
	};
	struct record third[] = {
		make_record(&schema_load, NULL, T0 + 20, 95),    /* stale: the daemon knows */
		make_record(&schema_load, NULL, T0 + 30, 4),     /* new */
		make_record(&schema_uptime, NULL, T0 + 20, 102), /* new */
	};
	struct record late = make_record(&schema_load, NULL, T0 + 25, 94);
	int64_t t;

	assert_batch(s, first, ELEMENTSOF(first), 0, 4, 0);
	assert_batch(s, second, ELEMENTSOF(second), 0, 3, 4);
	ck_assert_uint_eq(store_get_stats(s)->created, 3);
	ck_assert_uint_eq(store_get_stats(s)->updated, 7);
	ck_assert_uint_eq(store_get_stats(s)->skipped, 4);
	ck_assert_uint_eq(store_get_stats(s)->failed, 0);
	ck_assert_uint_eq(store_get_stats(s)->connects, 1);

	/* A restarted writer knows no last update: the daemon's refusal teaches it. */
	s2 = store_new_cached(datadir, 10, cached_unix);
	assert_batch(s2, third, ELEMENTSOF(third), 0, 2, 1);
	ck_assert_int_eq(store_write(s2, HOST, &late), 0);
	ck_assert_uint_eq(store_get_stats(s2)->skipped, 2);
	ck_assert_uint_eq(store_get_stats(s2)->failed, 0);
	ck_assert_uint_eq(store_get_stats(s2)->created, 0);

	cached_flush(load);
	cached_flush(uptime);
	cached_flush(swap);
	ck_assert(last_value(load, &t) == 4);
	ck_assert_int_eq(t, T0 + 30);
	ck_assert(last_value(uptime, &t) == 102);
	ck_assert_int_eq(t, T0 + 20);
	ck_assert(last_value(swap, &t) == 1001);
	ck_assert_int_eq(t, T0 + 10);
	assert_sigpipe_clean();
}
END_TEST

/*
 * A line the daemon refuses (a directory where the file should be) fails that
 * sample alone: counted, -EIO, and the rest of the batch is written.
 */
START_TEST(test_cached_batch_refused_line)
{
	_cleanup_(store_freep) struct store *s = store_new_cached(datadir, 10, cached_unix);
	_cleanup_free_ char *load = rrd_file(HOST, "load");
	_cleanup_free_ char *blocker = rrd_file(HOST, "uptime");
	struct record recs[] = {
		make_record(&schema_load, NULL, T0, 1),
		make_record(&schema_uptime, NULL, T0, 100),
		make_record(&schema_load, NULL, T0 + 10, 2),
	};
	int64_t t;

	ck_assert_int_eq(mkdir_p(blocker, 0755), 0);
	assert_batch(s, recs, ELEMENTSOF(recs), -EIO, 2, 0);
	ck_assert_msg(strstr(store_last_error(s), "uptime.rrd"), "error '%s'",
		store_last_error(s));
	ck_assert_uint_eq(store_get_stats(s)->failed, 1);
	ck_assert_uint_eq(store_get_stats(s)->updated, 2);
	/* Not learnt as written: the same sample is tried again, and fails again. */
	recs[1].time = T0;
	assert_batch(s, recs + 1, 1, -EIO, 0, 0);
	ck_assert_uint_eq(store_get_stats(s)->failed, 2);
	cached_flush(load);
	ck_assert(last_value(load, &t) == 2);
	ck_assert_int_eq(t, T0 + 10);
}
END_TEST

/* A stand-in for rrdcached that reads a little of what it is sent, then hangs up. */
struct hangup_server {
	int listen_fd;
	pthread_t thread;
	char *path;
};

static void *
hangup_thread(void *userdata)
{
	struct hangup_server *h = userdata;
	int fd = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	char buf[64];

	if (fd >= 0) {
		(void)read(fd, buf, sizeof(buf));
		(void)close(fd);
	}
	return NULL;
}

static void
hangup_start(struct hangup_server *h, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	h->path = xstrdup(path);
	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	(void)unlink(path);
	h->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(h->listen_fd, 0);
	ck_assert_int_eq(bind(h->listen_fd, (const struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(h->listen_fd, 4), 0);
	ck_assert_int_eq(pthread_create(&h->thread, NULL, hangup_thread, h), 0);
}

static void
hangup_stop(struct hangup_server *h)
{
	(void)pthread_join(h->thread, NULL);
	(void)close(h->listen_fd);
	(void)unlink(h->path);
	free(h->path);
}

/*
 * The connection is lost in the middle of a batch: the call fails with
 * -ENOTCONN, counts every sample failed and none written, learns nothing; the
 * next call connects again and writes them all.
 */
START_TEST(test_cached_batch_connection_lost)
{
	_cleanup_(store_freep) struct store *s = store_new_cached(datadir, 10, cached_unix);
	_cleanup_free_ char *load = rrd_file(HOST, "load");
	struct record recs[200];
	struct hangup_server h;
	int64_t t;

	for (size_t i = 0; i < ELEMENTSOF(recs); i++)
		recs[i] = make_record(&schema_load, NULL, T0 + 10 * (int64_t)i, (double)i);
	assert_batch(s, recs, 1, 0, 1, 0);
	cached_stop();
	hangup_start(&h, cached_unix + strlen("unix:"));
	assert_batch(s, recs + 1, ELEMENTSOF(recs) - 1, -ENOTCONN, 0, 0);
	hangup_stop(&h);
	ck_assert_uint_eq(store_get_stats(s)->failed, ELEMENTSOF(recs) - 1);
	ck_assert_uint_eq(store_get_stats(s)->connects, 2);
	assert_sigpipe_clean();

	cached_start();
	assert_batch(s, recs + 1, ELEMENTSOF(recs) - 1, 0, ELEMENTSOF(recs) - 1, 0);
	ck_assert_uint_eq(store_get_stats(s)->connects, 3);
	cached_flush(load);
	ck_assert(last_value(load, &t) == (double)(ELEMENTSOF(recs) - 1));
	ck_assert_int_eq(t, T0 + 10 * (int64_t)(ELEMENTSOF(recs) - 1));
	assert_sigpipe_clean();
}
END_TEST

/* A batch creating more files than the store's table held: it grows under the batch. */
START_TEST(test_cached_batch_many_files)
{
	_cleanup_(store_freep) struct store *s = store_new_cached(datadir, 10, cached_unix);
	struct record recs[300];
	char name[16];

	for (size_t i = 0; i < ELEMENTSOF(recs); i++) {
		(void)snprintf(name, sizeof(name), "d%zu", i);
		recs[i] = make_record(&schema_load, name, T0 + (int64_t)(i % 3), (double)i);
	}
	assert_batch(s, recs, ELEMENTSOF(recs), 0, ELEMENTSOF(recs), 0);
	for (size_t i = 0; i < ELEMENTSOF(recs); i++)
		recs[i].time += 10;
	assert_batch(s, recs, ELEMENTSOF(recs), 0, ELEMENTSOF(recs), 0);
	assert_batch(s, recs, ELEMENTSOF(recs), 0, 0, ELEMENTSOF(recs));
	ck_assert_uint_eq(store_series_count(s), ELEMENTSOF(recs));
	ck_assert_uint_eq(store_get_stats(s)->created, ELEMENTSOF(recs));
}
END_TEST

/* Direct writes go one by one, with the same counts. */
START_TEST(test_batch_direct)
{
	_cleanup_(store_freep) struct store *s = store_new(datadir, 10);
	struct record recs[] = {
		make_record(&schema_load, NULL, T0, 1),
		make_record(&schema_load, NULL, T0, 2),
		make_record(&schema_uptime, NULL, T0 + 10, 3),
		make_record(&schema_load, NULL, T0 - 10, 4),
		make_record(&schema_load, NULL, T0 + 10, 5),
	};

	assert_batch(s, recs, ELEMENTSOF(recs), 0, 3, 2);
	ck_assert_int_eq(store_write_batch(s, "bad/host", recs, 1, NULL, NULL), -EINVAL);
	ck_assert_uint_eq(store_get_stats(s)->updated, 3);
	ck_assert_uint_eq(store_get_stats(s)->skipped, 2);
}
END_TEST

/* Over TCP the daemon is given names relative to its base directory, datadir. */
START_TEST(test_cached_tcp)
{
	_cleanup_(store_freep) struct store *s = store_new_cached(datadir, 10, cached_tcp);
	const struct schema *sc = &schema_cpu;
	_cleanup_free_ char *path = rrd_file(HOST, sc->kind);
	rrd_value_t *data;

	write_samples(s, sc, 10, T0, exact_value);
	ck_assert_uint_eq(store_get_stats(s)->created, 1);
	ck_assert_uint_eq(store_get_stats(s)->failed, 0);
	ck_assert_int_eq(file_last(path), T0 - 1);
	cached_flush(path);
	data = fetch_samples(path, sc, 10, T0);
	for (int k = 1; k < N_SAMPLES; k++)
		for (size_t f = 0; f < sc->n_fields; f++)
			assert_same_value(sc, k, f, data[(size_t)(k - 1) * sc->n_fields + f],
				exact_value(sc, k, f));
	rrd_freemem(data);
	ck_assert_int_eq(count_entries(datadir, NULL), 1);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	TCase *tc_cached;
	_cleanup_free_ char *bin = find_program("rrdcached");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_layout, 0, ELEMENTSOF(layouts));
	tcase_add_test(tc, test_path);
	tcase_add_test(tc, test_new_bad_arguments);
	tcase_add_loop_test(tc, test_values_read_back, 0, 3);
	tcase_add_test(tc, test_values_identical);
	tcase_add_test(tc, test_stale_skipped);
	tcase_add_test(tc, test_restart);
	tcase_add_test(tc, test_updated_behind_our_back);
	tcase_add_test(tc, test_invalid_names);
	tcase_add_test(tc, test_deleted_file_recreated);
	tcase_add_test(tc, test_no_temporary_files);
	tcase_add_test(tc, test_many_series);
	tcase_add_test(tc, test_host_dir_is_a_file);
	tcase_add_test(tc, test_host_dir_dangling_symlink);
	tcase_add_test(tc, test_unwritable);
	tcase_add_test(tc, test_create_fails);
	tcase_add_test(tc, test_not_an_rrd);
	tcase_add_test(tc, test_new_cached_bad_arguments);
	tcase_add_test(tc, test_cached_unreachable);
	tcase_add_test(tc, test_batch_direct);
	suite_add_tcase(s, tc);

	if (!bin) {
		fprintf(stderr, "SKIP: the rrdcached tests: rrdcached is not installed "
				"(apt-get install rrdcached)\n");
		return s;
	}
	rrdcached_bin = TAKE_PTR(bin);
	tc_cached = tcase_create("rrdcached");
	tcase_add_checked_fixture(tc_cached, setup_cached, teardown_cached);
	tcase_set_timeout(tc_cached, 120);
	tcase_add_loop_test(tc_cached, test_cached_values_read_back, 0, 3);
	tcase_add_loop_test(tc_cached, test_cached_layout, 0, ELEMENTSOF(layouts));
	tcase_add_test(tc_cached, test_cached_values_identical);
	tcase_add_test(tc_cached, test_cached_batch_mixed);
	tcase_add_test(tc_cached, test_cached_batch_many_files);
	tcase_add_test(tc_cached, test_cached_batch_refused_line);
	tcase_add_test(tc_cached, test_cached_batch_connection_lost);
	tcase_add_test(tc_cached, test_cached_stale_skipped);
	tcase_add_test(tc_cached, test_cached_restart);
	tcase_add_test(tc_cached, test_cached_updated_behind_our_back);
	tcase_add_test(tc_cached, test_cached_deleted_file_recreated);
	tcase_add_test(tc_cached, test_cached_reconnect);
	tcase_add_test(tc_cached, test_cached_restart_between_writes);
	tcase_add_test(tc_cached, test_cached_tcp);
	suite_add_tcase(s, tc_cached);
	return s;
}

int
main(void)
{
	return test_run_suite(store_suite());
}
