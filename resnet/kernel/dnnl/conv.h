// One convolution's oneDNN primitives; see conv.c.
#ifndef RESLAB_DNNL_CONV_H
#define RESLAB_DNNL_CONV_H

typedef struct rc_conv rc_conv;

enum { RC_FORWARD = 0, RC_BACKWARD_DATA = 1, RC_BACKWARD_WEIGHTS = 2 };

// rc_init creates the engine and stream; 0 on success, else a dnnl_status_t.
int rc_init(void);
// rc_new describes a bias-free convolution of (n, c, h, w) with (o, c, k, k)
// weights; it creates no primitive yet.
rc_conv *rc_new(int n, int c, int h, int w, int o, int k, int stride, int pad);
void rc_free(rc_conv *cv);
// rc_run runs one pass. For RC_FORWARD a, b, out are x, w, y; for
// RC_BACKWARD_DATA w, dy, dx; for RC_BACKWARD_WEIGHTS x, dy, dw. It returns
// 0 or a dnnl_status_t, with *step naming what failed.
int rc_run(rc_conv *cv, int pass, const float *a, const float *b, float *out, const char **step);
// rc_impl names the implementation oneDNN chose for a pass that has run.
const char *rc_impl(rc_conv *cv, int pass);
void rc_set_threads(int n);
// rc_isa names the most capable instruction set oneDNN may use here.
const char *rc_isa(void);
#endif
