//go:build dnnl

// oneDNN convolutions on plain NCHW tensors for package dnnl (see doc.go).

#include <stdlib.h>
#include <string.h>
#include <oneapi/dnnl/dnnl.h>
#include "conv.h"

void omp_set_num_threads(int);

static dnnl_engine_t engine;
static dnnl_stream_t stream;

// The reordered copies of a pass's three operands, shared by every
// convolution (passes run one at a time, on one thread) and grown to the
// largest asked for.
static void *arena[3];
static size_t arena_bytes[3];

static void *arena_at(int i, size_t bytes) {
	if (arena_bytes[i] < bytes) {
		free(arena[i]);
		arena[i] = NULL;
		arena_bytes[i] = 0;
		if (posix_memalign(&arena[i], 64, bytes) != 0) {
			arena[i] = NULL;
			return NULL;
		}
		arena_bytes[i] = bytes;
	}
	return arena[i];
}

// operand is one tensor of a pass: the caller's plain layout and, when the
// primitive wants another, the reorder between them.
typedef struct {
	int arg;    // DNNL_ARG_*
	int output; // the pass writes it
	dnnl_memory_t user;
	dnnl_memory_t op; // NULL when the layouts agree
	dnnl_primitive_t reorder;
	size_t op_bytes;
} operand;

typedef struct {
	dnnl_primitive_desc_t pd;
	dnnl_primitive_t prim;
	operand opd[3];
	int ready;
} pass;

struct rc_conv {
	dnnl_memory_desc_t src, wei, dst; // plain layouts
	dnnl_memory_desc_t src_any, wei_any, dst_any;
	dnnl_dims_t strides, pad_l, pad_r;
	pass passes[3];
};

int rc_init(void) {
	dnnl_status_t st = dnnl_engine_create(&engine, dnnl_cpu, 0);
	if (st != dnnl_success)
		return st;
	return dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
}

void rc_set_threads(int n) { omp_set_num_threads(n); }

const char *rc_isa(void) {
	switch (dnnl_get_effective_cpu_isa()) {
	case dnnl_cpu_isa_sse41:
		return "sse41";
	case dnnl_cpu_isa_avx:
		return "avx";
	case dnnl_cpu_isa_avx2:
		return "avx2";
	case dnnl_cpu_isa_avx2_vnni:
		return "avx2_vnni";
	case dnnl_cpu_isa_avx512_core:
		return "avx512_core";
	case dnnl_cpu_isa_avx512_core_vnni:
		return "avx512_core_vnni";
	case dnnl_cpu_isa_avx512_core_bf16:
		return "avx512_core_bf16";
	case dnnl_cpu_isa_avx512_core_amx:
		return "avx512_core_amx";
	default:
		return "other";
	}
}

rc_conv *rc_new(int n, int c, int h, int w, int o, int k, int stride, int pad) {
	rc_conv *cv = calloc(1, sizeof *cv);
	if (!cv)
		return NULL;
	int ho = (h + 2 * pad - k) / stride + 1, wo = (w + 2 * pad - k) / stride + 1;
	dnnl_dims_t src = {n, c, h, w}, wei = {o, c, k, k}, dst = {n, o, ho, wo};
	dnnl_memory_desc_init_by_tag(&cv->src, 4, src, dnnl_f32, dnnl_nchw);
	dnnl_memory_desc_init_by_tag(&cv->wei, 4, wei, dnnl_f32, dnnl_oihw);
	dnnl_memory_desc_init_by_tag(&cv->dst, 4, dst, dnnl_f32, dnnl_nchw);
	dnnl_memory_desc_init_by_tag(&cv->src_any, 4, src, dnnl_f32, dnnl_format_tag_any);
	dnnl_memory_desc_init_by_tag(&cv->wei_any, 4, wei, dnnl_f32, dnnl_format_tag_any);
	dnnl_memory_desc_init_by_tag(&cv->dst_any, 4, dst, dnnl_f32, dnnl_format_tag_any);
	cv->strides[0] = cv->strides[1] = stride;
	cv->pad_l[0] = cv->pad_l[1] = pad;
	// The right padding makes the output exactly ho×wo, as PyTorch's does.
	cv->pad_r[0] = (ho - 1) * stride + k - h - pad;
	cv->pad_r[1] = (wo - 1) * stride + k - w - pad;
	return cv;
}

static void free_pass(pass *p) {
	for (int i = 0; i < 3; i++) {
		operand *od = &p->opd[i];
		if (od->reorder)
			dnnl_primitive_destroy(od->reorder);
		if (od->op)
			dnnl_memory_destroy(od->op);
		if (od->user)
			dnnl_memory_destroy(od->user);
	}
	if (p->prim)
		dnnl_primitive_destroy(p->prim);
	if (p->pd)
		dnnl_primitive_desc_destroy(p->pd);
	memset(p, 0, sizeof *p);
}

void rc_free(rc_conv *cv) {
	if (!cv)
		return;
	for (int i = 0; i < 3; i++)
		free_pass(&cv->passes[i]);
	free(cv);
}

// make_operand sets up operand i of p: arg, the caller's layout, and the
// layout the primitive asks for through query.
static dnnl_status_t make_operand(pass *p, int i, int arg, int output, const dnnl_memory_desc_t *user, dnnl_query_t query, const char **step) {
	operand *od = &p->opd[i];
	od->arg = arg;
	od->output = output;
	const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(p->pd, query, 0);
	dnnl_status_t st;
	*step = "memory";
	if ((st = dnnl_memory_create(&od->user, user, engine, DNNL_MEMORY_NONE)) != dnnl_success)
		return st;
	if (dnnl_memory_desc_equal(want, user))
		return dnnl_success;
	if ((st = dnnl_memory_create(&od->op, want, engine, DNNL_MEMORY_NONE)) != dnnl_success)
		return st;
	od->op_bytes = dnnl_memory_desc_get_size(want);
	*step = "reorder";
	dnnl_primitive_desc_t rpd;
	if (output)
		st = dnnl_reorder_primitive_desc_create(&rpd, want, engine, user, engine, NULL);
	else
		st = dnnl_reorder_primitive_desc_create(&rpd, user, engine, want, engine, NULL);
	if (st != dnnl_success)
		return st;
	st = dnnl_primitive_create(&od->reorder, rpd);
	dnnl_primitive_desc_destroy(rpd);
	return st;
}

// forward_pd is the forward-training primitive descriptor, the hint both
// backward passes need.
static dnnl_status_t forward_pd(rc_conv *cv, dnnl_primitive_desc_t *pd) {
	dnnl_convolution_desc_t d;
	dnnl_status_t st = dnnl_convolution_forward_desc_init(&d, dnnl_forward_training, dnnl_convolution_direct, &cv->src_any, &cv->wei_any, NULL, &cv->dst_any, cv->strides, cv->pad_l, cv->pad_r);
	if (st != dnnl_success)
		return st;
	return dnnl_primitive_desc_create(pd, &d, NULL, engine, NULL);
}

static dnnl_status_t make_pass(rc_conv *cv, int which, const char **step) {
	pass *p = &cv->passes[which];
	dnnl_status_t st;
	*step = "forward descriptor";
	if (which == RC_FORWARD) {
		if ((st = forward_pd(cv, &p->pd)) != dnnl_success)
			return st;
		if ((st = make_operand(p, 0, DNNL_ARG_SRC, 0, &cv->src, dnnl_query_src_md, step)) != dnnl_success ||
		    (st = make_operand(p, 1, DNNL_ARG_WEIGHTS, 0, &cv->wei, dnnl_query_weights_md, step)) != dnnl_success ||
		    (st = make_operand(p, 2, DNNL_ARG_DST, 1, &cv->dst, dnnl_query_dst_md, step)) != dnnl_success)
			return st;
	} else {
		dnnl_primitive_desc_t hint;
		if ((st = forward_pd(cv, &hint)) != dnnl_success)
			return st;
		dnnl_convolution_desc_t d;
		if (which == RC_BACKWARD_DATA) {
			*step = "input-gradient descriptor";
			st = dnnl_convolution_backward_data_desc_init(&d, dnnl_convolution_direct, &cv->src_any, &cv->wei_any, &cv->dst_any, cv->strides, cv->pad_l, cv->pad_r);
		} else {
			*step = "weight-gradient descriptor";
			st = dnnl_convolution_backward_weights_desc_init(&d, dnnl_convolution_direct, &cv->src_any, &cv->wei_any, NULL, &cv->dst_any, cv->strides, cv->pad_l, cv->pad_r);
		}
		if (st == dnnl_success)
			st = dnnl_primitive_desc_create(&p->pd, &d, NULL, engine, hint);
		dnnl_primitive_desc_destroy(hint);
		if (st != dnnl_success)
			return st;
		if (which == RC_BACKWARD_DATA) {
			if ((st = make_operand(p, 0, DNNL_ARG_WEIGHTS, 0, &cv->wei, dnnl_query_weights_md, step)) != dnnl_success ||
			    (st = make_operand(p, 1, DNNL_ARG_DIFF_DST, 0, &cv->dst, dnnl_query_diff_dst_md, step)) != dnnl_success ||
			    (st = make_operand(p, 2, DNNL_ARG_DIFF_SRC, 1, &cv->src, dnnl_query_diff_src_md, step)) != dnnl_success)
				return st;
		} else {
			if ((st = make_operand(p, 0, DNNL_ARG_SRC, 0, &cv->src, dnnl_query_src_md, step)) != dnnl_success ||
			    (st = make_operand(p, 1, DNNL_ARG_DIFF_DST, 0, &cv->dst, dnnl_query_diff_dst_md, step)) != dnnl_success ||
			    (st = make_operand(p, 2, DNNL_ARG_DIFF_WEIGHTS, 1, &cv->wei, dnnl_query_diff_weights_md, step)) != dnnl_success)
				return st;
		}
	}
	*step = "primitive";
	if ((st = dnnl_primitive_create(&p->prim, p->pd)) != dnnl_success)
		return st;
	p->ready = 1;
	return dnnl_success;
}

static dnnl_status_t reorder(operand *od, int to_op) {
	dnnl_exec_arg_t args[2] = {
	    {DNNL_ARG_FROM, to_op ? od->user : od->op},
	    {DNNL_ARG_TO, to_op ? od->op : od->user},
	};
	return dnnl_primitive_execute(od->reorder, stream, 2, args);
}

// run_pass is rc_run once the primitives exist.
static dnnl_status_t run_pass(pass *p, const float *a, const float *b, float *out, const char **step) {
	void *ptrs[3] = {(void *)a, (void *)b, out};
	dnnl_exec_arg_t args[3];
	dnnl_status_t st;
	*step = "reorder in";
	for (int i = 0; i < 3; i++) {
		operand *od = &p->opd[i];
		if ((st = dnnl_memory_set_data_handle(od->user, ptrs[i])) != dnnl_success)
			return st;
		args[i].arg = od->arg;
		args[i].memory = od->user;
		if (!od->op)
			continue;
		void *buf = arena_at(i, od->op_bytes);
		if (!buf)
			return dnnl_out_of_memory;
		if ((st = dnnl_memory_set_data_handle(od->op, buf)) != dnnl_success)
			return st;
		args[i].memory = od->op;
		if (!od->output && (st = reorder(od, 1)) != dnnl_success)
			return st;
	}
	*step = "convolution";
	if ((st = dnnl_primitive_execute(p->prim, stream, 3, args)) != dnnl_success)
		return st;
	*step = "reorder out";
	if (p->opd[2].op && (st = reorder(&p->opd[2], 0)) != dnnl_success)
		return st;
	*step = "wait";
	return dnnl_stream_wait(stream);
}

int rc_run(rc_conv *cv, int which, const float *a, const float *b, float *out, const char **step) {
	*step = "";
	if (which < 0 || which > 2)
		return dnnl_invalid_arguments;
	pass *p = &cv->passes[which];
	dnnl_status_t st;
	if (!p->ready) {
		if ((st = make_pass(cv, which, step)) != dnnl_success) {
			free_pass(p);
			return st;
		}
	}
	st = run_pass(p, a, b, out, step);
	// The caller's buffers are Go memory: no C object keeps a pointer to
	// them once the call returns.
	for (int i = 0; i < 3; i++)
		dnnl_memory_set_data_handle(p->opd[i].user, NULL);
	return st;
}

const char *rc_impl(rc_conv *cv, int which) {
	if (which < 0 || which > 2 || !cv->passes[which].ready)
		return "";
	const char *name = "";
	dnnl_primitive_desc_query(cv->passes[which].pd, dnnl_query_impl_info_str, 0, &name);
	return name;
}
