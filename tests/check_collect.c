/* SPDX-License-Identifier: MIT */
/*
 * Tests of the collector registry and every collector. Most run on two
 * fixture snapshots taken 10 s apart, tests/data/root-a and root-b, and
 * compare with values worked out here by hand from the fixture's numbers;
 * the disk space tests build a root in a temporary directory; a smoke test
 * runs everything on the real "/".
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "collect.h"
#include "common.h"

#define T0 (1000 * USEC_PER_SEC)
#define T1 (T0 + 10 * USEC_PER_SEC)
#define KB 1024.0
#define TWO32 4294967296.0

static char *root_a, *root_b;

static void
setup(void)
{
	root_a = test_data_path("root-a");
	root_b = test_data_path("root-b");
}

static void
teardown(void)
{
	free(root_a);
	free(root_b);
}

static const struct record *
find(const struct record_batch *b, const char *series)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->records[i].series, series) == 0)
			return &b->records[i];
	return NULL;
}

/* The record of series, which must be in the batch. */
static const struct record *
get(const struct record_batch *b, const char *series)
{
	const struct record *r = find(b, series);

	ck_assert_msg(r != NULL, "no record '%s'", series);
	return r;
}

static double
val(const struct record *r, const char *field)
{
	int i = record_field_index(r->schema, field);

	ck_assert_msg(i >= 0, "no field '%s' in '%s'", field, r->series);
	return r->values[i];
}

/* Compares a field with a value worked out by hand, to a relative 1e-6. */
#define ck_val(r, field, expected)                                                   \
	do {                                                                         \
		double e_ = (expected);                                              \
		ck_assert_double_eq_tol(val(r, field), e_, 1e-6 * (1 + fabs(e_)));  \
	} while (0)
#define ck_nan(r, field)                                                             \
	ck_assert_msg(isnan(val(r, field)), "%s.%s", (r)->series, field)

/* Runs set once on root-a at T0 and once on root-b at T1; b holds the second cycle. */
static void
run_a_then_b(struct hm_conf *c, struct collector_set *set, struct record_batch *b,
	size_t first_n)
{
	c->root_dir = root_a;
	ck_assert_uint_eq(collect_run(set, T0, b, NULL, NULL), 0);
	ck_assert_uint_eq(b->n, first_n);
	record_batch_clear(b);
	c->root_dir = root_b;
	ck_assert_uint_eq(collect_run(set, T1, b, NULL, NULL), 0);
}

START_TEST(test_registry)
{
	struct hm_conf c = { .root_dir = root_a };
	struct record_batch b = { 0 };
	const struct collector_result *res;
	size_t n;
	struct collector_set *set;

	set = collect_new(&c);
	ck_assert_uint_eq(collect_run(set, T0, &b, &res, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(b.n, 0);
	set = collect_free(set);
	ck_assert_ptr_null(set);

	c.uptime = c.memory = true;
	set = collect_new(&c);
	ck_assert_uint_eq(collect_run(set, T0, &b, &res, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(res[0].name, "memory");
	ck_assert_str_eq(res[1].name, "uptime");
	ck_assert_int_eq(res[0].error, 0);
	ck_assert_uint_eq(b.n, 2);

	/* A collector that fails does not stop the others; each has its error. */
	c.root_dir = "/nonexistent/root";
	ck_assert_uint_eq(collect_run(set, T1, &b, &res, &n), 2);
	ck_assert_int_eq(res[0].error, -ENOENT);
	ck_assert_int_eq(res[1].error, -ENOENT);
	ck_assert_uint_eq(b.n, 2);
	c.root_dir = root_a;
	ck_assert_uint_eq(collect_run(set, T1, &b, &res, &n), 0);
	ck_assert_int_eq(res[1].error, 0);
	set = collect_free(set);
	ck_assert_ptr_null(collect_free(NULL));
	record_batch_done(&b);
}
END_TEST

/* user nice system iowait irq softirq steal idle, as in the fixtures' /proc/stat. */
static const double cpu_a[3][8] = {
	{ 1000, 100, 500, 200, 10, 40, 5, 8000 },
	{ 500, 50, 250, 100, 5, 20, 2, 4000 },
	{ 500, 50, 250, 100, 5, 20, 3, 4000 },
};
static const double cpu_b[3][8] = {
	{ 1600, 100, 800, 300, 30, 80, 45, 8900 },
	{ 900, 50, 350, 150, 15, 40, 22, 4400 },
	{ 700, 50, 450, 150, 15, 40, 23, 4500 },
};

static void
check_cpu(const struct record *r, const double *a, const double *bv)
{
	static const char *const fields[8] = {
		"user", "nice", "system", "iowait", "irq", "softirq", "steal", "idle",
	};
	double total = 0, sum = 0;

	for (size_t i = 0; i < 8; i++)
		total += bv[i] - a[i];
	for (size_t i = 0; i < 8; i++) {
		ck_val(r, fields[i], (bv[i] - a[i]) / total * 100);
		sum += val(r, fields[i]);
	}
	ck_assert_double_eq_tol(sum, 100, 1e-9);
}

START_TEST(test_cpu)
{
	struct hm_conf c = { .cpu = { .enabled = true, .per_core = true } };
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = collect_new(&c);

	/* The first cycle has no previous reading: nothing to report. */
	run_a_then_b(&c, set, &b, 0);
	ck_assert_uint_eq(b.n, 3);
	/* 2000 ticks passed; user is 600 of them (guest's 100 are inside). */
	ck_val(get(&b, "cpu"), "user", 600.0 / 2000 * 100);
	check_cpu(get(&b, "cpu"), cpu_a[0], cpu_b[0]);
	check_cpu(get(&b, "cpu-0"), cpu_a[1], cpu_b[1]);
	check_cpu(get(&b, "cpu-1"), cpu_a[2], cpu_b[2]);
	record_batch_done(&b);
}
END_TEST

START_TEST(test_cpu_whole_only)
{
	struct hm_conf c = { .cpu = { .enabled = true, .per_core = false } };
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = collect_new(&c);

	run_a_then_b(&c, set, &b, 0);
	ck_assert_uint_eq(b.n, 1);
	check_cpu(get(&b, "cpu"), cpu_a[0], cpu_b[0]);
	record_batch_done(&b);
}
END_TEST

/* Some kernels let iowait step back a little; that counts as none, not as a reset. */
START_TEST(test_cpu_backwards)
{
	_cleanup_free_ char *tmp = test_mkdtemp();
	struct hm_conf c = { .root_dir = tmp, .cpu = { .enabled = true } };
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = collect_new(&c);
	const struct record *r;

	test_write_file(tmp, "proc/stat", "cpu  100 0 100 1000 50 0 0 0 0 0\n");
	ck_assert_uint_eq(collect_run(set, T0, &b, NULL, NULL), 0);
	test_write_file(tmp, "proc/stat", "cpu  200 0 150 1350 49 0 0 0 0 0\n");
	ck_assert_uint_eq(collect_run(set, T1, &b, NULL, NULL), 0);
	r = get(&b, "cpu");
	ck_val(r, "user", 100.0 / 500 * 100);
	ck_val(r, "system", 50.0 / 500 * 100);
	ck_val(r, "idle", 350.0 / 500 * 100);
	ck_val(r, "iowait", 0);

	/* A file without the "cpu" line is not /proc/stat. */
	test_write_file(tmp, "proc/stat", "intr 1 2 3\n");
	ck_assert_uint_eq(collect_run(set, T1 + T0, &b, NULL, NULL), 1);
	record_batch_done(&b);
	test_rm_rf(tmp);
}
END_TEST

START_TEST(test_memory)
{
	struct hm_conf c = { .root_dir = root_a, .memory = true };
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = collect_new(&c);
	const struct record *r;

	ck_assert_uint_eq(collect_run(set, T0, &b, NULL, NULL), 0);
	r = get(&b, "memory");
	ck_val(r, "total", 8000000 * KB);
	ck_val(r, "available", 5000000 * KB);
	ck_val(r, "used", (8000000 - 5000000) * KB);
	ck_val(r, "buffers", 200000 * KB);
	/* As free(1): page cache plus reclaimable slab. */
	ck_val(r, "cached", (3000000 + 300000) * KB);
	ck_val(r, "used_pct", 3000000.0 / 8000000 * 100);

	record_batch_clear(&b);
	c.root_dir = root_b;
	ck_assert_uint_eq(collect_run(set, T1, &b, NULL, NULL), 0);
	r = get(&b, "memory");
	ck_val(r, "used", (8000000 - 4000000) * KB);
	ck_val(r, "cached", (2500000 + 250000) * KB);
	ck_val(r, "used_pct", 50);
	record_batch_done(&b);
}
END_TEST

/* Without MemAvailable (before Linux 3.14), free + buffers + cached + reclaimable. */
START_TEST(test_memory_old_kernel)
{
	_cleanup_free_ char *tmp = test_mkdtemp();
	struct hm_conf c = { .root_dir = tmp, .memory = true };
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = collect_new(&c);
	const struct record *r;

	test_write_file(tmp, "proc/meminfo",
		"MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\n");
	ck_assert_uint_eq(collect_run(set, T0, &b, NULL, NULL), 0);
	r = get(&b, "memory");
	ck_val(r, "available", 350 * KB);
	ck_val(r, "used", 650 * KB);
	ck_val(r, "cached", 200 * KB);

	test_write_file(tmp, "proc/meminfo", "MemFree: 100 kB\n");
	ck_assert_uint_eq(collect_run(set, T1, &b, NULL, NULL), 1);
	record_batch_done(&b);
	test_rm_rf(tmp);
}
END_TEST

START_TEST(test_swap)
{
	struct hm_conf c = { .root_dir = root_a, .swap = true };
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = collect_new(&c);
	const struct record *r;

	ck_assert_uint_eq(collect_run(set, T0, &b, NULL, NULL), 0);
	r = get(&b, "swap");
	ck_val(r, "total", 2000000 * KB);
	ck_val(r, "free", 1500000 * KB);
	ck_val(r, "used", 500000 * KB);
	ck_val(r, "used_pct", 25);
	/* Rates need two readings. */
	ck_nan(r, "in");
	ck_nan(r, "out");

	record_batch_clear(&b);
	c.root_dir = root_b;
	ck_assert_uint_eq(collect_run(set, T1, &b, NULL, NULL), 0);
	r = get(&b, "swap");
	ck_val(r, "used", 600000 * KB);
	ck_val(r, "used_pct", 30);
	ck_val(r, "in", (1500 - 1000) / 10.0);
	ck_val(r, "out", (2100 - 2000) / 10.0);
	record_batch_done(&b);
}
END_TEST

START_TEST(test_swap_none)
{
	_cleanup_free_ char *tmp = test_mkdtemp();
	struct hm_conf c = { .root_dir = tmp, .swap = true };
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = collect_new(&c);
	const struct record *r;

	test_write_file(tmp, "proc/meminfo",
		"MemTotal: 1000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
	/* A kernel built without swap prints no pswpin. */
	test_write_file(tmp, "proc/vmstat", "nr_free_pages 5\n");
	ck_assert_uint_eq(collect_run(set, T0, &b, NULL, NULL), 0);
	ck_assert_uint_eq(collect_run(set, T1, &b, NULL, NULL), 0);
	ck_assert_uint_eq(b.n, 2);
	r = &b.records[1];
	ck_val(r, "total", 0);
	ck_val(r, "used", 0);
	ck_val(r, "used_pct", 0);
	ck_nan(r, "in");
	record_batch_done(&b);
	test_rm_rf(tmp);
}
END_TEST

START_TEST(test_load_uptime)
{
	struct hm_conf c = { .root_dir = root_a, .load = true, .uptime = true };
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = collect_new(&c);
	const struct record *r;

	/* Not rates: the first cycle reports them. */
	ck_assert_uint_eq(collect_run(set, T0, &b, NULL, NULL), 0);
	r = get(&b, "load");
	ck_val(r, "load1", 0.50);
	ck_val(r, "load5", 0.75);
	ck_val(r, "load15", 1.00);
	ck_val(r, "runnable", 3);
	ck_val(r, "tasks", 250);
	ck_val(r, "cpus", 2);
	ck_val(get(&b, "uptime"), "uptime", 12345.67);
	record_batch_done(&b);
}
END_TEST

START_TEST(test_diskio_default)
{
	struct hm_conf c = { .disk_io = { .enabled = true } };
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = collect_new(&c);
	const struct record *r;

	run_a_then_b(&c, set, &b, 0);
	/* Whole disks only: not vda1, nor loop0 or zram0 though sysfs lists them. */
	ck_assert_uint_eq(b.n, 3);
	r = get(&b, "disk-vda");
	ck_val(r, "read_bytes", (30000 - 20000) * 512 / 10.0);
	ck_val(r, "write_bytes", (60000 - 40000) * 512 / 10.0);
	ck_val(r, "read_ops", (1500 - 1000) / 10.0);
	ck_val(r, "write_ops", (3000 - 2000) / 10.0);
	ck_val(r, "busy_pct", (6500 - 1500) / 10000.0 * 100);

	/* sdb's 32-bit counters wrapped; its io_ticks outran the clock. */
	r = get(&b, "disk-sdb");
	ck_val(r, "read_ops", (TWO32 - 4294967000 + 200) / 10);
	ck_val(r, "read_bytes", (TWO32 - 4294967200 + 904) * 512 / 10);
	ck_val(r, "write_bytes", (1200 - 1000) * 512 / 10.0);
	ck_val(r, "busy_pct", 100);

	/* dm-0 was recreated: every counter reset, so every rate is unknown. */
	r = get(&b, "disk-dm-0");
	ck_nan(r, "read_bytes");
	ck_nan(r, "write_ops");
	ck_nan(r, "busy_pct");
	record_batch_done(&b);
}
END_TEST

START_TEST(test_diskio_devices)
{
	struct hm_conf c = {
		.disk_io = {
			.enabled = true,
			.devices = (char *[]){ "vda1", "zram0", NULL },
		},
	};
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = collect_new(&c);
	const struct record *r;

	run_a_then_b(&c, set, &b, 0);
	ck_assert_uint_eq(b.n, 2);
	r = get(&b, "disk-vda1");
	ck_val(r, "read_bytes", (26000 - 18000) * 512 / 10.0);
	ck_val(r, "busy_pct", (5400 - 1400) / 10000.0 * 100);
	ck_val(get(&b, "disk-zram0"), "write_ops", (10 - 5) / 10.0);
	record_batch_done(&b);
}
END_TEST

START_TEST(test_net)
{
	struct hm_conf c = { .network = { .enabled = true } };
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = collect_new(&c);
	const struct record *r;

	run_a_then_b(&c, set, &b, 0);
	/* veth1 vanished. */
	ck_assert_uint_eq(b.n, 3);
	ck_val(get(&b, "if-lo"), "rx_bytes", (3000 - 1000) / 10.0);
	r = get(&b, "if-eth0");
	/* 32-bit wrap, and the name runs into the first number in the fixture. */
	ck_val(r, "rx_bytes", (TWO32 - 4294960000 + 20000) / 10);
	ck_val(r, "tx_bytes", (5100000 - 5000000) / 10.0);
	ck_val(r, "rx_packets", (1500 - 1000) / 10.0);
	ck_val(r, "tx_packets", (4400 - 4000) / 10.0);
	ck_val(r, "rx_errors", 0);
	ck_val(r, "tx_errors", 0);
	ck_val(r, "rx_drops", (7 - 2) / 10.0);
	ck_val(r, "tx_drops", 0);
	/* The driver was reloaded: the counters that went back are unknown. */
	r = get(&b, "if-eth1");
	ck_nan(r, "rx_bytes");
	ck_nan(r, "tx_packets");
	ck_val(r, "rx_errors", 0);

	/* veth1 comes back: forgotten in between, so it starts afresh. */
	record_batch_clear(&b);
	c.root_dir = root_a;
	ck_assert_uint_eq(collect_run(set, T1 + 10 * USEC_PER_SEC, &b, NULL, NULL), 0);
	ck_assert_ptr_nonnull(find(&b, "if-eth0"));
	ck_assert_ptr_null(find(&b, "if-veth1"));
	record_batch_done(&b);
}
END_TEST

START_TEST(test_net_filters)
{
	struct hm_conf c = {
		.network = {
			.enabled = true,
			.interfaces = (char *[]){ "eth*", "veth1", NULL },
			.ignore_interfaces = (char *[]){ "eth1", NULL },
		},
	};
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = collect_new(&c);

	run_a_then_b(&c, set, &b, 0);
	ck_assert_uint_eq(b.n, 1);
	ck_assert_ptr_nonnull(find(&b, "if-eth0"));
	set = collect_free(set);

	c.network.interfaces = NULL;
	c.network.ignore_interfaces = (char *[]){ "lo", "veth*", NULL };
	set = collect_new(&c);
	record_batch_clear(&b);
	run_a_then_b(&c, set, &b, 0);
	ck_assert_uint_eq(b.n, 2);
	ck_assert_ptr_nonnull(find(&b, "if-eth0"));
	ck_assert_ptr_nonnull(find(&b, "if-eth1"));
	record_batch_done(&b);
}
END_TEST

/*
 * A root in a temporary directory whose mounts name directories inside it,
 * so statvfs() of each can be compared with what the collector reported.
 */
static char *
df_root(void)
{
	char *tmp = test_mkdtemp();
	static const char *const dirs[] = {
		"data", "mnt/my disk", "mnt/back\\slash", "var/log", "tmp2", "bind",
	};
	_cleanup_free_ char *pseudo = NULL;

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *keep = xasprintf("%s/.keep", dirs[i]);

		test_write_file(tmp, keep, "");
	}
	/* A file system with no blocks, such as /proc, is no disk. */
	pseudo = xasprintf("%s/pseudo", tmp);
	ck_assert_int_eq(symlink("/proc", pseudo), 0);
	test_write_file(tmp, "proc/self/mounts",
		"/dev/vda1 / ext4 rw,relatime 0 0\n"
		"proc /proc proc rw,nosuid 0 0\n"
		"/dev/vdb1 /data xfs rw 0 0\n"
		"/dev/vdc1 /mnt/my\\040disk ext4 rw 0 0\n"
		"/dev/vdd1 /mnt/back\\134slash ext4 rw 0 0\n"
		"/dev/vda1 /bind ext4 rw,relatime 0 0\n"
		"tmpfs /var/log tmpfs rw 0 0\n"
		"tmpfs /tmp2 tmpfs rw 0 0\n"
		"/dev/vde1 /data ext4 rw 0 0\n"
		"sysfs2 /pseudo sysfs2 rw 0 0\n"
		"/dev/vdf1 /missing ext4 rw 0 0\n"
		"/dev/vdg1 /etc/hostname ext4 rw 0 0\n");
	/* A container's bind-mounted file. */
	test_write_file(tmp, "etc/hostname", "box\n");
	return tmp;
}

/* Compares a df record with statvfs() of root/dir, allowing for a busy /tmp. */
static void
check_df(const struct record *r, const char *root, const char *dir)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", root, dir);
	struct statvfs st;
	double bused, bfree, iused, ifree, bslack, islack, ipct;

	ck_assert_int_eq(statvfs(path, &st), 0);
	bused = (double)(st.f_blocks - st.f_bfree) * st.f_frsize;
	bfree = (double)st.f_bavail * st.f_frsize;
	iused = (double)(st.f_files - st.f_ffree);
	ifree = (double)st.f_favail;
	bslack = (double)st.f_blocks * st.f_frsize / 100;
	islack = (double)st.f_files / 100 + 1;
	ck_assert_double_eq_tol(val(r, "bytes_used"), bused, bslack);
	ck_assert_double_eq_tol(val(r, "bytes_free"), bfree, bslack);
	ck_assert_double_eq_tol(val(r, "bytes_pct"), bused / (bused + bfree) * 100, 1);
	ck_assert_double_eq_tol(val(r, "inodes_used"), iused, islack);
	ck_assert_double_eq_tol(val(r, "inodes_free"), ifree, islack);
	ipct = iused / (iused + ifree) * 100;
	if (st.f_files > 0)
		ck_assert_double_eq_tol(val(r, "inodes_pct"), ipct, 1);
	else
		ck_nan(r, "inodes_pct");
}

START_TEST(test_df)
{
	_cleanup_free_ char *tmp = df_root();
	struct hm_conf c = {
		.root_dir = tmp,
		.disk_space = {
			.enabled = true,
			.ignore_fstypes = (char *[]){ "proc", NULL },
		},
	};
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = collect_new(&c);

	/* Space is no rate: the first cycle reports it. */
	ck_assert_uint_eq(collect_run(set, T0, &b, NULL, NULL), 0);
	check_df(get(&b, "df-root"), tmp, "");
	check_df(get(&b, "df-data"), tmp, "data");
	check_df(get(&b, "df-mnt-my_disk"), tmp, "mnt/my disk");
	check_df(get(&b, "df-mnt-back_slash"), tmp, "mnt/back\\slash");
	check_df(get(&b, "df-var-log"), tmp, "var/log");
	/* Two tmpfs are two file systems, though both say "tmpfs". */
	check_df(get(&b, "df-tmp2"), tmp, "tmp2");
	/*
	 * Not /proc (ignored type), /bind (a second mount of /dev/vda1), /data
	 * twice (mounted over), /pseudo (no blocks), /missing (no directory) or
	 * /etc/hostname (a file mounted over a file).
	 */
	ck_assert_uint_eq(b.n, 6);
	record_batch_done(&b);
	test_rm_rf(tmp);
}
END_TEST

START_TEST(test_df_mountpoints)
{
	_cleanup_free_ char *tmp = df_root();
	struct hm_conf c = {
		.root_dir = tmp,
		.disk_space = {
			.enabled = true,
			.ignore_fstypes = (char *[]){ "proc", "tmpfs", NULL },
			.mountpoints = (char *[]){
				"/", "/bind", "/proc", "/tmp2", "/nope", NULL,
			},
		},
	};
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = collect_new(&c);

	/* Named mount points are reported though bound twice or of an ignored type. */
	ck_assert_uint_eq(collect_run(set, T0, &b, NULL, NULL), 0);
	ck_assert_uint_eq(b.n, 4);
	check_df(get(&b, "df-root"), tmp, "");
	check_df(get(&b, "df-bind"), tmp, "bind");
	check_df(get(&b, "df-proc"), tmp, "proc");
	check_df(get(&b, "df-tmp2"), tmp, "tmp2");
	record_batch_done(&b);
	test_rm_rf(tmp);
}
END_TEST

/* A valid series name, and every known value within its field's bounds. */
static void
check_record_sane(const struct record *r)
{
	ck_assert_msg(name_is_valid(r->series), "'%s'", r->series);
	for (size_t i = 0; i < r->schema->n_fields; i++) {
		const struct field_def *f = &r->schema->fields[i];
		double v = r->values[i];

		if (isnan(v))
			continue;
		ck_assert_msg(isnan(f->min) || v >= f->min, "%s.%s = %g", r->series,
			f->name, v);
		ck_assert_msg(isnan(f->max) || v <= f->max, "%s.%s = %g", r->series,
			f->name, v);
	}
}

START_TEST(test_fixture_defaults)
{
	_cleanup_(conf_freep) struct hm_conf *c = conf_new_default();
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = NULL;
	static const char *const series[] = {
		"cpu", "cpu-0", "cpu-1", "memory", "swap", "load", "uptime", "df-root",
		"disk-vda", "disk-sdb", "disk-dm-0", "if-eth0", "if-eth1",
	};

	free(c->root_dir);
	c->root_dir = xstrdup(root_a);
	set = collect_new(c);
	ck_assert_uint_eq(collect_run(set, T0, &b, NULL, NULL), 0);
	record_batch_clear(&b);
	free(c->root_dir);
	c->root_dir = xstrdup(root_b);
	ck_assert_uint_eq(collect_run(set, T1, &b, NULL, NULL), 0);
	for (size_t i = 0; i < ELEMENTSOF(series); i++)
		check_record_sane(get(&b, series[i]));
	ck_assert_uint_eq(b.n, ELEMENTSOF(series));
	check_df(get(&b, "df-root"), root_b, "");
	record_batch_done(&b);
}
END_TEST

static void
run_real(struct collector_set *set, struct record_batch *b)
{
	const struct collector_result *res;
	size_t n;

	(void)collect_run(set, now_usec(CLOCK_MONOTONIC), b, &res, &n);
	ck_assert_uint_eq(n, 8);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(res[i].error == 0, "%s: %s", res[i].name,
			strerror(-res[i].error));
}

/* Every collector on the machine running the test. */
START_TEST(test_real_root)
{
	struct hm_conf c = {
		.root_dir = "/",
		.cpu = { .enabled = true, .per_core = true },
		.memory = true, .swap = true, .load = true, .uptime = true,
		.disk_space = { .enabled = true },
		.disk_io = { .enabled = true },
		.network = { .enabled = true },
	};
	struct record_batch b = { 0 };
	_cleanup_(collect_freep) struct collector_set *set = collect_new(&c);
	const struct record *r;
	double sum = 0, phys;

	run_real(set, &b);
	ck_assert_ptr_null(find(&b, "cpu"));
	record_batch_clear(&b);
	/* Long enough for the CPUs to tick a few times at USER_HZ. */
	(void)usleep(300 * 1000);
	run_real(set, &b);
	r = get(&b, "cpu");
	for (size_t i = 0; i < r->schema->n_fields; i++)
		sum += r->values[i];
	ck_assert_double_eq_tol(sum, 100, 1e-6);
	r = get(&b, "memory");
	phys = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
	ck_assert_double_eq_tol(val(r, "total"), phys, phys / 100);
	ck_val(get(&b, "load"), "cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
	ck_assert_double_gt(val(get(&b, "uptime"), "uptime"), 0);
	(void)get(&b, "swap");
	/* Even a network namespace of its own has a loopback. */
	(void)get(&b, "if-lo");
	for (size_t i = 0; i < b.n; i++)
		check_record_sane(&b.records[i]);
	record_batch_done(&b);
}
END_TEST

static Suite *
collect_suite(void)
{
	Suite *s = suite_create("collect");
	TCase *tc = tcase_create("fixtures");
	TCase *real = tcase_create("real");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_registry);
	tcase_add_test(tc, test_cpu);
	tcase_add_test(tc, test_cpu_whole_only);
	tcase_add_test(tc, test_cpu_backwards);
	tcase_add_test(tc, test_memory);
	tcase_add_test(tc, test_memory_old_kernel);
	tcase_add_test(tc, test_swap);
	tcase_add_test(tc, test_swap_none);
	tcase_add_test(tc, test_load_uptime);
	tcase_add_test(tc, test_diskio_default);
	tcase_add_test(tc, test_diskio_devices);
	tcase_add_test(tc, test_net);
	tcase_add_test(tc, test_net_filters);
	tcase_add_test(tc, test_df);
	tcase_add_test(tc, test_df_mountpoints);
	tcase_add_test(tc, test_fixture_defaults);
	suite_add_tcase(s, tc);
	tcase_add_test(real, test_real_root);
	suite_add_tcase(s, real);
	return s;
}

int
main(void)
{
	return test_run_suite(collect_suite());
}
