// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic: the one object that instantiates the tracepoints of trace.h; every
 * other file only calls them.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
