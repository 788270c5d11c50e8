/* examples/cosine_denoise.c - denoising a cosine (lecture notes): a signal of
 * L = 64 samples of cos(t + phase) over one period, plus Gaussian noise
 * (sigma 0.3), goes through 10 sigmoid hidden units and a linear projection
 * back to the 64 samples; the target is the clean signal, the loss MSE.
 * Weights start from U[-0.1, 0.1]; training is 500 gradient steps (Adam),
 * each on a fresh batch of 32 noisy signals with random phases. Writes
 * out/cosine-denoise.svg with the clean cosine, the noisy input and the
 * network's output for one unseen test signal.
 *
 *   cosine_denoise [seed] */
#define NN_IMPLEMENTATION
#include "../nn.h"
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <math.h>

enum { L = 64, H = 10, B = 32, STEPS = 500 };
#define NOISE 0.3f
#define TWO_PI 6.283185307179586f

/* n signals: clean (n x L) and noisy (n x L), random phases */
static void make_signals(nn_rng *r, int n, float *clean, float *noisy)
{
    int i, j;
    for (i = 0; i < n; i++) {
        float phase = TWO_PI * nn_rng_uniform(r);
        for (j = 0; j < L; j++) {
            float c = cosf(TWO_PI * j / L + phase);
            clean[i * L + j] = c;
            noisy[i * L + j] = c + NOISE * nn_rng_normal(r);
        }
    }
}

static double mse(const float *a, const float *b)
{
    double s = 0;
    int j;
    for (j = 0; j < L; j++) s += (a[j] - b[j]) * (a[j] - b[j]);
    return s / L;
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    int sizes[3] = { L, H, L }, step, j;
    nn_act acts[2] = { NN_ACT_SIGMOID, NN_ACT_IDENTITY };
    static float clean[B * L], noisy[B * L], out[L], tx[L];
    nn_net *net = NULL;
    nn_ctx *ctx = NULL;
    nn_opt opt;
    nn_rng rng;
    float loss = 0.0f;
    double m_in, m_out;
    char path[256];

    nn_net_create(&net, 2, sizes, acts);              /* MSE: identity output */
    nn_net_init(net, NN_INIT_UNIFORM, 0.1f, seed);    /* U[-0.1, 0.1]          */
    nn_ctx_create(&ctx, net, B);
    opt = nn_opt_default(NN_OPT_ADAM);
    opt.lr = 0.01f;
    nn_rng_seed(&rng, seed, 100);
    printf("cosine denoising: %d-%d-%d (sigmoid hidden, linear output), MSE, U[-0.1,0.1] init, "
           "%d Adam steps of %d signals, noise sigma %.1f, seed %llu\n",
           L, H, L, STEPS, B, NOISE, (unsigned long long)seed);
    for (step = 1; step <= STEPS; step++) {
        make_signals(&rng, B, clean, noisy);
        nn_train_step(net, ctx, B, noisy, clean, &opt, &loss);
        if (step == 1 || step % 100 == 0) printf("  step %3d  loss %.5f\n", step, loss);
    }
    make_signals(&rng, 1, clean, tx);                 /* an unseen signal */
    nn_predict(net, ctx, 1, tx, out);
    m_in = mse(tx, clean);
    m_out = mse(out, clean);
    printf("test signal: mean squared error to the clean cosine %.4f (noisy input) -> %.4f "
           "(network output), %.1fx lower\n", m_in, m_out, m_in / m_out);
    {
        ex_series s[3];
        float xs[L];
        for (j = 0; j < L; j++) xs[j] = TWO_PI * j / L;
        s[0].name = "noisy input"; s[0].color = "#999999"; s[0].n = L; s[0].x = xs; s[0].y = tx;
        s[0].dashed = 0; s[0].dots = 1;
        s[1].name = "clean cosine"; s[1].color = "#1f77b4"; s[1].n = L; s[1].x = xs; s[1].y = clean;
        s[1].dashed = 1; s[1].dots = 0;
        s[2].name = "network output"; s[2].color = "#d62728"; s[2].n = L; s[2].x = xs; s[2].y = out;
        s[2].dashed = 0; s[2].dots = 0;
        snprintf(path, sizeof path, "%s/cosine-denoise.svg", ex_out_dir());
        if (ex_svg_plot(path, "Cosine denoising: 64-10-64, 500 steps", "t", "signal", 3, s) == 0)
            printf("wrote %s\n", path);
    }
    nn_ctx_free(ctx);
    nn_net_free(net);
    return m_out < m_in ? 0 : 1;
}
