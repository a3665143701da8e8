/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd and GnuTLS, loaded when an HTTP server is started (see dl.h):
 * an agent that serves nothing does not carry them. Callers use the sym_*
 * pointers after a successful dlmhd_open(); their types are the libraries'
 * own prototypes.
 */
#ifndef HM_DLMHD_H
#define HM_DLMHD_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

/* Loads both libraries once; 0, or -EOPNOTSUPP (see dlmhd_error()). */
int dlmhd_open(void);
/* dlerror()'s text from the failed load; borrowed. */
const char *dlmhd_error(void);

#define DLMHD_FUNCTIONS(X)                                                           \
	X(MHD_start_daemon)                                                          \
	X(MHD_stop_daemon)                                                           \
	X(MHD_run)                                                                   \
	X(MHD_get_timeout)                                                           \
	X(MHD_get_daemon_info)                                                       \
	X(MHD_get_connection_info)                                                   \
	X(MHD_lookup_connection_value)                                               \
	X(MHD_lookup_connection_value_n)                                             \
	X(MHD_get_connection_values)                                                 \
	X(MHD_suspend_connection)                                                    \
	X(MHD_resume_connection)                                                     \
	X(MHD_create_response_from_buffer)                                           \
	X(MHD_add_response_header)                                                   \
	X(MHD_queue_response)                                                        \
	X(MHD_destroy_response)
#define DLMHD_GNUTLS_FUNCTIONS(X)                                                    \
	X(gnutls_certificate_verify_peers)                                           \
	X(gnutls_certificate_get_peers)                                              \
	X(gnutls_x509_crt_init)                                                      \
	X(gnutls_x509_crt_import)                                                    \
	X(gnutls_x509_crt_get_dn_by_oid)                                             \
	X(gnutls_x509_crt_deinit)

#define DLMHD_DECLARE(fn) extern __typeof__(fn) *sym_##fn;
DLMHD_FUNCTIONS(DLMHD_DECLARE)
DLMHD_GNUTLS_FUNCTIONS(DLMHD_DECLARE)
#undef DLMHD_DECLARE

#endif
