/* examples/perceptron.c - the perceptron learning rule on a linearly
 * separable 2-D toy set: o = step(w . x + b); after each sample
 * w += lr (t - o) x, b += lr (t - o); repeat until an epoch makes no error.
 * The convergence theorem promises that for separable data. Prints the
 * learned boundary w1 x + w2 y + b = 0 and draws it in ASCII.
 *
 *   perceptron [seed] */
#define NN_IMPLEMENTATION
#include "../nn.h"

#include <stdio.h>
#include <stdlib.h>
#include <math.h>

enum { N = 60, COLS = 61, ROWS = 25 };

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 7;
    float x[N * 2], t[N], w[2] = { 0.0f, 0.0f }, b = 0.0f;
    /* the hidden truth: class 1 above the line y = 0.5 x + 0.2 */
    const float a_true = 0.5f, c_true = 0.2f, margin = 0.08f;
    int i, epochs = 0, converged = 0, errors = 0, r, c;
    char grid[ROWS][COLS + 1];
    nn_rng rng;
    nn_status st;

    nn_rng_seed(&rng, seed, 0);
    for (i = 0; i < N; i++) {          /* uniform in [-1,1]^2, off the margin */
        float px, py, d;
        do {
            px = 2.0f * nn_rng_uniform(&rng) - 1.0f;
            py = 2.0f * nn_rng_uniform(&rng) - 1.0f;
            d = (py - (a_true * px + c_true)) / sqrtf(1.0f + a_true * a_true);
        } while (fabsf(d) < margin);
        x[2 * i] = px; x[2 * i + 1] = py;
        t[i] = d > 0 ? 1.0f : 0.0f;
    }
    st = nn_perceptron_train(N, 2, x, t, 0.1f, 1000, w, &b, &epochs, &converged);
    if (st != NN_OK) { fprintf(stderr, "perceptron: %s\n", nn_status_str(st)); return 1; }
    for (i = 0; i < N; i++) errors += nn_perceptron_predict(2, w, b, x + 2 * i) != t[i];

    printf("perceptron rule, %d points in [-1,1]^2, separable with margin %.2f (seed %llu)\n",
           N, margin, (unsigned long long)seed);
    printf("%s after %d epochs, %d training errors\n",
           converged ? "converged" : "did NOT converge", epochs, errors);
    printf("learned boundary: %.4f x %+.4f y %+.4f = 0", w[0], w[1], b);
    if (w[1] != 0.0f)
        printf("   i.e. y = %.4f x %+.4f   (truth: y = %.2f x %+.2f)\n",
               -w[0] / w[1], -b / w[1], a_true, c_true);
    else
        printf("\n");

    /* ASCII picture: + class 1, o class 0, . the learned boundary */
    for (r = 0; r < ROWS; r++) {
        for (c = 0; c < COLS; c++) grid[r][c] = ' ';
        grid[r][COLS] = 0;
    }
    for (c = 0; c < COLS && w[1] != 0.0f; c++) {
        float px = -1.0f + 2.0f * c / (COLS - 1), py = -(w[0] * px + b) / w[1];
        r = (int)floorf((1.0f - py) / 2.0f * (ROWS - 1) + 0.5f);
        if (r >= 0 && r < ROWS) grid[r][c] = '.';
    }
    for (i = 0; i < N; i++) {
        c = (int)floorf((x[2 * i] + 1.0f) / 2.0f * (COLS - 1) + 0.5f);
        r = (int)floorf((1.0f - x[2 * i + 1]) / 2.0f * (ROWS - 1) + 0.5f);
        grid[r][c] = t[i] > 0 ? '+' : 'o';
    }
    printf("\n  +%.*s+\n", COLS, "-------------------------------------------------------------------");
    for (r = 0; r < ROWS; r++) printf("  |%s|\n", grid[r]);
    printf("  +%.*s+\n  x, y in [-1, 1]; + class 1, o class 0, . learned boundary\n", COLS,
           "-------------------------------------------------------------------");
    return converged && errors == 0 ? 0 : 1;
}
