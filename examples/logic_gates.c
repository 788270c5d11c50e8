/* examples/logic_gates.c - logic gates as perceptrons with hand-set weights
 * (AND, OR, NAND, NOT), why no single perceptron computes XOR, and XOR
 * learned by a network with one hidden layer.
 *
 * A perceptron outputs step(w . x + b), step(s) = 1 for s >= 0, else 0.
 * Each gate below is one nn.h layer with the STEP activation and weights
 * written by hand into nn_net_weights / nn_net_bias. */
#define NN_IMPLEMENTATION
#include "../nn.h"

#include <stdio.h>
#include <string.h>

static const float X2[4 * 2] = { 0, 0, 0, 1, 1, 0, 1, 1 };

/* A 1-layer step network n_in -> 1 with weights w and bias b. */
static nn_net *gate(int n_in, const float *w, float b)
{
    int sizes[2];
    nn_act act = NN_ACT_STEP;
    nn_net *net = NULL;
    sizes[0] = n_in; sizes[1] = 1;
    if (nn_net_create(&net, 1, sizes, &act) != NN_OK) return NULL;
    memcpy(nn_net_weights(net, 0), w, (size_t)n_in * sizeof(float));
    nn_net_bias(net, 0)[0] = b;
    return net;
}

static int show_gate(const char *name, int n_in, const float *w, float b,
                     const float *x, int rows, const float *want)
{
    nn_net *net = gate(n_in, w, b);
    nn_ctx *ctx = NULL;
    float y[4];
    int i, ok = 1;
    if (!net || nn_ctx_create(&ctx, net, 4) != NN_OK) return 0;
    nn_predict(net, ctx, rows, x, y);
    if (n_in == 2)
        printf("%-4s  w = (%g, %g), b = %g\n", name, w[0], w[1], b);
    else
        printf("%-4s  w = %g, b = %g\n", name, w[0], b);
    for (i = 0; i < rows; i++) {
        if (n_in == 2) printf("      %g %g -> %g", x[2 * i], x[2 * i + 1], y[i]);
        else printf("      %g -> %g", x[i], y[i]);
        printf("%s\n", y[i] == want[i] ? "" : "   WRONG");
        ok &= y[i] == want[i];
    }
    nn_ctx_free(ctx);
    nn_net_free(net);
    return ok;
}

int main(void)
{
    static const float w_and[2] = { 1, 1 }, w_or[2] = { 1, 1 },
                       w_nand[2] = { -1, -1 }, w_not[1] = { -1 };
    static const float t_and[4] = { 0, 0, 0, 1 }, t_or[4] = { 0, 1, 1, 1 },
                       t_nand[4] = { 1, 1, 1, 0 }, t_not[2] = { 1, 0 },
                       t_xor[4] = { 0, 1, 1, 0 }, x1[2] = { 0, 1 };
    int ok = 1, i, sizes[3] = { 2, 4, 1 };
    nn_act acts[2] = { NN_ACT_TANH, NN_ACT_SIGMOID };
    nn_net *net = NULL;
    nn_ctx *ctx = NULL;
    nn_opt opt;
    float y[4], loss = 0.0f;
    uint64_t seed = 1;

    printf("== Logic gates as perceptrons: output = step(w . x + b) ==\n\n");
    ok &= show_gate("AND", 2, w_and, -1.5f, X2, 4, t_and);    /* fires only for 1+1 */
    ok &= show_gate("OR", 2, w_or, -0.5f, X2, 4, t_or);       /* fires for any 1    */
    ok &= show_gate("NAND", 2, w_nand, 1.5f, X2, 4, t_nand);  /* NOT AND            */
    ok &= show_gate("NOT", 1, w_not, 0.5f, x1, 2, t_not);

    printf("\n== Why XOR needs a hidden layer ==\n"
           "XOR is 1 for (0,1) and (1,0), 0 for (0,0) and (1,1). One perceptron would need\n"
           "  (0,0) -> 0:  b < 0           (1,0) -> 1:  w1 + b >= 0\n"
           "  (0,1) -> 1:  w2 + b >= 0     (1,1) -> 0:  w1 + w2 + b < 0\n"
           "Adding the two middle lines: w1 + w2 + 2b >= 0, so w1 + w2 + b >= -b > 0,\n"
           "contradicting the last line. No line separates {(0,1),(1,0)} from\n"
           "{(0,0),(1,1)}: XOR is not linearly separable. Two layers do it, e.g.\n"
           "XOR(a,b) = AND(OR(a,b), NAND(a,b)) - or a network that learns its own features:\n\n");

    {
        /* hand-wired: hidden = (OR, NAND), output = AND of the two */
        static const float w0[4] = { 1, 1, -1, -1 }, b0[2] = { -0.5f, 1.5f },
                           w1[2] = { 1, 1 };
        int hs[3] = { 2, 2, 1 };
        nn_act steps[2] = { NN_ACT_STEP, NN_ACT_STEP };
        nn_net_create(&net, 2, hs, steps);
        memcpy(nn_net_weights(net, 0), w0, sizeof w0);
        memcpy(nn_net_bias(net, 0), b0, sizeof b0);
        memcpy(nn_net_weights(net, 1), w1, sizeof w1);
        nn_net_bias(net, 1)[0] = -1.5f;
        nn_ctx_create(&ctx, net, 4);
        nn_predict(net, ctx, 4, X2, y);
        printf("== XOR hand-wired: hidden (OR, NAND), output AND ==\n");
        for (i = 0; i < 4; i++) {
            printf("      %g %g -> %g%s\n", X2[2 * i], X2[2 * i + 1], y[i],
                   y[i] == t_xor[i] ? "" : "   WRONG");
            ok &= y[i] == t_xor[i];
        }
        nn_ctx_free(ctx);
        nn_net_free(net);
        net = NULL; ctx = NULL;
    }

    printf("\n== XOR learned by a 2-4-1 network (tanh hidden, sigmoid output, BCE, Adam) ==\n");
    nn_net_create(&net, 2, sizes, acts);
    nn_net_init(net, NN_INIT_XAVIER, 0.0f, seed);
    nn_ctx_create(&ctx, net, 4);
    opt = nn_opt_default(NN_OPT_ADAM);
    opt.lr = 0.05f;
    for (i = 1; i <= 500; i++) {
        nn_train_step(net, ctx, 4, X2, t_xor, &opt, &loss);
        if (i == 1 || i % 100 == 0) printf("  step %3d  loss %.5f\n", i, loss);
    }
    nn_predict(net, ctx, 4, X2, y);
    for (i = 0; i < 4; i++) {
        int bit = y[i] >= 0.5f;
        printf("      %g %g -> %.4f -> %d%s\n", X2[2 * i], X2[2 * i + 1], y[i], bit,
               (float)bit == t_xor[i] ? "" : "   WRONG");
        ok &= (float)bit == t_xor[i];
    }
    printf("(seed %llu)\n", (unsigned long long)seed);
    nn_ctx_free(ctx);
    nn_net_free(net);
    printf("\n%s\n", ok ? "all gates correct" : "SOME GATES WRONG");
    return ok ? 0 : 1;
}
