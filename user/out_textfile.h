/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * node_exporter textfile collector output (--textfile PATH): every report
 * replaces PATH, atomically (safefile.h), with the same exposition the
 * metrics endpoint serves, in the text format 0.0.4 node_exporter reads.
 * PATH should end in ".prom" and sit in the collector's directory. The
 * last report stays after blockwatch exits; node_exporter's
 * node_textfile_mtime_seconds tells how fresh it is.
 */
#ifndef BW_OUT_TEXTFILE_H
#define BW_OUT_TEXTFILE_H

#include <stddef.h>

#include "report.h"
#include "safefile.h"

/*
 * The file, replaced by bw_report_file__update(file, rep).
 * Fails (NULL, errno) when PATH cannot be replaced safely (bw_safefile_check).
 */
struct bw_report_file *bw_out_textfile__new(const char *path, size_t top_n);

#endif /* BW_OUT_TEXTFILE_H */
