/* tests/test_model.c - model files and checkpoints of nn.h (section 2.11):
 * round trip (bit-identical parameters and outputs), checkpoint contents,
 * resume after epoch k bit-identical to an uninterrupted run, and damage:
 * every truncation length, every flipped byte and every flipped bit of a
 * small model file is an error (never a crash, never a silently wrong net),
 * foreign, oversized and future-version files are refused with a message,
 * and a failed save leaves the previous file intact. Plain C. */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L     /* mkdir for the atomic-save test */
#endif
#define NN_IMPLEMENTATION
#include "nn.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/stat.h>
#include <unistd.h>
#define HAVE_MKDIR 1
#else
#define HAVE_MKDIR 0
#endif


static char *tmp_path(const char *name)
{
    static char buf[4][256];
    static int k;
    const char *dir = getenv("TMPDIR");
    k = (k + 1) & 3;
    snprintf(buf[k], sizeof buf[k], "%s/nn_test_model_%s", dir && *dir ? dir : "/tmp", name);
    return buf[k];
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0) { fclose(f); return NULL; }
    b = (unsigned char *)malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static int spit(const char *path, const unsigned char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (len) fwrite(b, 1, len, f);
    return fclose(f) == 0;
}

/* A 5 -> 7 -> 4 -> 3 net: tanh, relu (dropout 0.25), softmax. */
static nn_net *make_net(uint64_t seed)
{
    int sizes[4] = { 5, 7, 4, 3 };
    nn_act acts[3] = { NN_ACT_TANH, NN_ACT_RELU, NN_ACT_SOFTMAX };
    nn_net *net = NULL;
    if (nn_net_create(&net, 3, sizes, acts) != NN_OK) return NULL;
    nn_net_init(net, NN_INIT_XAVIER, 0.0f, seed);
    nn_net_set_dropout(net, 1, 0.25f);
    return net;
}

static int same_shape(const nn_net *a, const nn_net *b)
{
    int l;
    if (nn_net_layers(a) != nn_net_layers(b) || nn_net_loss(a) != nn_net_loss(b))
        return 0;
    for (l = 0; l <= nn_net_layers(a); l++)
        if (nn_net_size(a, l) != nn_net_size(b, l)) return 0;
    for (l = 0; l < nn_net_layers(a); l++) {
        if (nn_net_act(a, l) != nn_net_act(b, l)) return 0;
        if (a->dropout[l] != b->dropout[l]) return 0;
    }
    return 1;
}

static int same_params(const nn_net *a, const nn_net *b)
{
    size_t na, nb;
    const float *pa = nn_net_params_const(a, &na), *pb = nn_net_params_const(b, &nb);
    return na == nb && memcmp(pa, pb, na * sizeof(float)) == 0;
}

static void fill_inputs(int n, int d, float *x, uint64_t seed)
{
    nn_rng r;
    int i;
    nn_rng_seed(&r, seed, 9);
    for (i = 0; i < n * d; i++) x[i] = 2.0f * nn_rng_uniform(&r) - 1.0f;
}

static void test_round_trip(void)
{
    nn_net *a = make_net(1), *b = NULL;
    nn_ctx *ca = NULL, *cb = NULL;
    nn_model_info info = nn_model_info_default(), got;
    float x[16 * 5], ya[16 * 3], yb[16 * 3];
    char *path = tmp_path("rt.nnm");
    nn_status st;
    CHECK(a != NULL, "create net");
    if (!a) return;
    nn_net_set_loss(a, NN_LOSS_HUBER, 0.75f);
    info.seed = 77; info.epochs = 12; info.loss = 0.125f; info.date = 1700000000;
    st = nn_model_save(path, a, &info);
    CHECK(st == NN_OK, "save: %s", nn_status_str(st));
    st = nn_model_load(path, &b, &got);
    CHECK(st == NN_OK && b != NULL, "load: %s (%s)", nn_status_str(st), got.error);
    if (!b) { nn_net_free(a); return; }
    CHECK(same_shape(a, b), "layers, sizes, activations, loss and dropout survive");
    CHECK(b->huber_delta == 0.75f, "Huber delta survives");
    CHECK(same_params(a, b), "parameters are bit-identical");
    CHECK(got.seed == 77 && got.epochs == 12 && got.loss == 0.125f &&
          got.date == 1700000000 && !got.checkpoint, "metadata survives");
    CHECK(nn_net_seed(b) == 77, "the net carries the training seed");
    fill_inputs(16, 5, x, 3);
    CHECK(nn_ctx_create(&ca, a, 16) == NN_OK && nn_ctx_create(&cb, b, 16) == NN_OK,
          "contexts");
    if (ca && cb) {
        nn_predict(a, ca, 16, x, ya);
        nn_predict(b, cb, 16, x, yb);
        CHECK(memcmp(ya, yb, sizeof ya) == 0, "predictions are bit-identical");
    }
    nn_ctx_free(ca); nn_ctx_free(cb);
    nn_net_free(b);
    /* NULL info: defaults (seed of nn_net_init, date now) */
    CHECK(nn_model_save(path, a, NULL) == NN_OK, "save with NULL info");
    b = NULL;
    CHECK(nn_model_load(path, &b, NULL) == NN_OK && b && nn_net_seed(b) == 1,
          "NULL info: seed from nn_net_init");
    nn_net_free(b);
    remove(path);
    nn_net_free(a);
}

static void test_checkpoint_fields(void)
{
    nn_net *a = make_net(2), *b = NULL;
    nn_model_info info = nn_model_info_default(), got;
    char *path = tmp_path("ck.nnm");
    size_t i, n;
    float *m, *v;
    if (!a) return;
    n = a->n_params;
    m = a->opt_m; v = a->opt_v;
    for (i = 0; i < n; i++) { m[i] = (float)i * 0.5f - 3.0f; v[i] = (float)i * 0.25f; }
    a->step = 1234;
    info.opt = nn_opt_default(NN_OPT_ADAM);
    info.opt.lr = 0.003f;
    nn_rng_seed(&info.rng, 99, 5);
    info.epochs = 3;
    CHECK(nn_checkpoint_save(path, a, &info) == NN_OK, "checkpoint save");
    CHECK(nn_model_load(path, &b, &got) == NN_OK && b, "checkpoint load: %s", got.error);
    if (b) {
        CHECK(got.checkpoint == 1, "flagged as checkpoint");
        CHECK(memcmp(b->opt_m, m, n * sizeof(float)) == 0 &&
              memcmp(b->opt_v, v, n * sizeof(float)) == 0, "optimizer moments restored");
        CHECK(nn_net_step_count(b) == 1234 && got.step == 1234, "step count restored");
        CHECK(got.rng.state == info.rng.state && got.rng.inc == info.rng.inc,
              "RNG state restored");
        CHECK(got.opt.kind == NN_OPT_ADAM && got.opt.lr == 0.003f &&
              got.opt.beta2 == info.opt.beta2, "optimizer settings restored");
        CHECK(same_params(a, b), "checkpoint parameters bit-identical");
        nn_net_free(b);
    }
    /* a plain model file carries no optimizer state: a loaded net starts fresh */
    b = NULL;
    CHECK(nn_model_save(path, a, &info) == NN_OK &&
          nn_model_load(path, &b, &got) == NN_OK && b, "model save/load");
    if (b) {
        size_t zero = 1;
        for (i = 0; i < n; i++) zero &= b->opt_m[i] == 0.0f && b->opt_v[i] == 0.0f;
        CHECK(zero && nn_net_step_count(b) == 0 && !got.checkpoint,
              "model file: optimizer state zero, step 0");
        nn_net_free(b);
    }
    remove(path);
    nn_net_free(a);
}

/* Resume: E epochs of mini-batch Adam with dropout in one go, versus k
 * epochs, a checkpoint, a fresh process state (new net from the file, new
 * ctx) and E - k more epochs. The shuffle RNG continues from the state
 * stored in the checkpoint; dropout is re-seeded per epoch from (seed, e). */
enum { RN = 48, RB = 8, RE = 5 };
static void train_epochs(nn_net *net, nn_ctx *ctx, nn_rng *shuf, uint64_t seed,
                         int e0, int e1, const float *x, const float *y)
{
    nn_opt opt = nn_opt_default(NN_OPT_ADAM);
    float bx[RB * 5], by[RB * 3], loss;
    int idx[RN], e, i, b;
    for (e = e0; e < e1; e++) {
        for (i = 0; i < RN; i++) idx[i] = i;
        for (i = RN - 1; i > 0; i--) {
            int j = (int)nn_rng_below(shuf, (uint32_t)i + 1), t = idx[i];
            idx[i] = idx[j]; idx[j] = t;
        }
        nn_ctx_seed(ctx, seed * 1000 + (uint64_t)e);
        for (b = 0; b < RN; b += RB) {
            nn_gather_rows(RB, idx + b, RN, 5, x, bx);
            nn_gather_rows(RB, idx + b, RN, 3, y, by);
            nn_train_step(net, ctx, RB, bx, by, &opt, &loss);
        }
    }
}

static void test_resume(void)
{
    float x[RN * 5], y[RN * 3], lab[RN];
    nn_net *full = make_net(5), *part = make_net(5), *res = NULL;
    nn_ctx *c1 = NULL, *c2 = NULL, *c3 = NULL;
    nn_rng r1, r2;
    nn_model_info info = nn_model_info_default(), got;
    char *path = tmp_path("resume.nnm");
    int i, k = 2;
    if (!full || !part) return;
    fill_inputs(RN, 5, x, 4);
    for (i = 0; i < RN; i++) lab[i] = (float)(i % 3);
    nn_one_hot(RN, lab, 3, y);
    nn_ctx_create(&c1, full, RB);
    nn_ctx_create(&c2, part, RB);
    nn_rng_seed(&r1, 5, 1);
    nn_rng_seed(&r2, 5, 1);
    train_epochs(full, c1, &r1, 5, 0, RE, x, y);
    train_epochs(part, c2, &r2, 5, 0, k, x, y);
    info.rng = r2;
    info.epochs = k;
    info.seed = 5;
    info.opt = nn_opt_default(NN_OPT_ADAM);
    CHECK(nn_checkpoint_save(path, part, &info) == NN_OK, "checkpoint after epoch %d", k);
    nn_ctx_free(c2);
    nn_net_free(part);
    CHECK(nn_model_load(path, &res, &got) == NN_OK && res, "load checkpoint: %s", got.error);
    if (res) {
        nn_ctx_create(&c3, res, RB);
        r2 = got.rng;
        train_epochs(res, c3, &r2, got.seed, got.epochs, RE, x, y);
        CHECK(nn_net_step_count(res) == nn_net_step_count(full),
              "resumed step count %ld = %ld", nn_net_step_count(res), nn_net_step_count(full));
        CHECK(same_params(full, res), "resumed after epoch %d: bit-identical to an uninterrupted run", k);
        CHECK(memcmp(full->opt_m, res->opt_m, full->n_params * sizeof(float)) == 0 &&
              memcmp(full->opt_v, res->opt_v, full->n_params * sizeof(float)) == 0,
              "resumed optimizer moments bit-identical");
        nn_ctx_free(c3);
        nn_net_free(res);
    }
    nn_ctx_free(c1);
    nn_net_free(full);
    remove(path);
}

/* The same through nn_fit: epoch e shuffles and drops out from (seed, e)
 * alone, so a checkpoint taken in on_epoch after epoch k plus
 * cfg.start_epoch = k + 1 continues exactly. */
typedef struct ck_state { nn_net *net; const char *path; int at; nn_status st; } ck_state;
static int checkpoint_at(const nn_epoch_report *r, void *user)
{
    ck_state *c = (ck_state *)user;
    if (r->epoch == c->at) {
        nn_model_info info = nn_model_info_default();
        info.epochs = r->epoch + 1;
        info.loss = r->train_loss;
        info.seed = 11;
        c->st = nn_checkpoint_save(c->path, c->net, &info);
        return 1;                                   /* "crash" right after */
    }
    return 0;
}

static void test_resume_fit(void)
{
    float x[RN * 5], y[RN * 3], lab[RN];
    nn_net *full = make_net(6), *part = make_net(6), *res = NULL;
    nn_fit_config cfg = nn_fit_defaults();
    nn_model_info got;
    ck_state ck;
    int i;
    if (!full || !part) return;
    fill_inputs(RN, 5, x, 12);
    for (i = 0; i < RN; i++) lab[i] = (float)((i * 7) % 3);
    nn_one_hot(RN, lab, 3, y);
    cfg.epochs = RE;
    cfg.batch_size = RB;
    cfg.seed = 11;
    CHECK(nn_fit(full, &cfg, RN, x, y, NULL) == NN_OK, "uninterrupted nn_fit");
    ck.net = part; ck.path = tmp_path("fitck.nnm"); ck.at = 1; ck.st = NN_ERR_STATE;
    cfg.on_epoch = checkpoint_at;
    cfg.user = &ck;
    CHECK(nn_fit(part, &cfg, RN, x, y, NULL) == NN_OK && ck.st == NN_OK,
          "nn_fit stopped after a checkpoint in on_epoch");
    CHECK(nn_model_load(ck.path, &res, &got) == NN_OK && res, "load: %s", got.error);
    if (res) {
        cfg.on_epoch = NULL;
        cfg.start_epoch = got.epochs;
        CHECK(nn_fit(res, &cfg, RN, x, y, NULL) == NN_OK, "resumed nn_fit");
        CHECK(same_params(full, res) && nn_net_step_count(full) == nn_net_step_count(res),
              "nn_fit resumed after epoch %d: bit-identical weights and step count", got.epochs);
        nn_net_free(res);
    }
    remove(ck.path);
    nn_net_free(full);
    nn_net_free(part);
}

/* Every truncation, every byte flipped (x ^ 0xFF) and every single bit
 * flipped must be refused. CRC-32 detects every error burst up to 32 bits,
 * so no flip can slip through; a field check may refuse it earlier. */
static void test_damage(void)
{
    int sizes[3] = { 3, 4, 2 };
    nn_act acts[2] = { NN_ACT_SIGMOID, NN_ACT_IDENTITY };
    nn_net *a = NULL, *b = NULL;
    nn_model_info info;
    char *path = tmp_path("dmg.nnm"), *p2 = tmp_path("dmg2.nnm");
    unsigned char *buf, *c;
    size_t len = 0, i;
    int bit, ok;
    nn_status st;
    nn_net_create(&a, 2, sizes, acts);
    nn_net_init(a, NN_INIT_UNIFORM, 0.5f, 8);
    CHECK(nn_checkpoint_save(path, a, NULL) == NN_OK, "save small checkpoint");
    buf = slurp(path, &len);
    CHECK(buf != NULL && len > 120, "read it back (%lu bytes)", (unsigned long)len);
    if (!buf) { nn_net_free(a); return; }
    c = (unsigned char *)malloc(len + 16);
    CHECK(nn_model_load_mem(buf, len, &b, &info) == NN_OK, "intact file loads");
    nn_net_free(b);
    ok = 1;
    for (i = 0; i < len; i++) {
        b = NULL;
        memcpy(c, buf, i);      /* a tight copy: reading past i would be caught by ASan */
        st = nn_model_load_mem(c, i, &b, &info);
        ok &= st == NN_ERR_FORMAT && b == NULL && info.error[0] != 0;
    }
    CHECK(ok, "every truncation (0..%lu bytes) is NN_ERR_FORMAT with a message",
          (unsigned long)len - 1);
    ok = 1;
    for (i = 0; i < len; i++) {
        memcpy(c, buf, len);
        c[i] ^= 0xFF;
        b = NULL;
        st = nn_model_load_mem(c, len, &b, &info);
        ok &= st == NN_ERR_FORMAT && b == NULL;
        for (bit = 0; bit < 8; bit++) {
            memcpy(c, buf, len);
            c[i] ^= (unsigned char)(1u << bit);
            st = nn_model_load_mem(c, len, &b, &info);
            ok &= st == NN_ERR_FORMAT && b == NULL;
        }
    }
    CHECK(ok, "every flipped byte and every flipped bit is NN_ERR_FORMAT");
    /* oversized: trailing bytes */
    memcpy(c, buf, len);
    c[len] = 0;
    CHECK(nn_model_load_mem(c, len + 1, &b, &info) == NN_ERR_FORMAT &&
          strstr(info.error, "oversized") != NULL, "trailing byte refused: %s", info.error);
    /* foreign file */
    {
        static const unsigned char idx[12] = { 0, 0, 8, 1, 0, 0, 0, 4, 'a', 'b', 'c', 'd' };
        memcpy(c, idx, 12);
    }
    CHECK(nn_model_load_mem(c, 12, &b, &info) == NN_ERR_FORMAT &&
          strstr(info.error, "magic") != NULL, "IDX file refused: %s", info.error);
    /* a future version (CRC fixed up, so only the version check refuses) */
    memcpy(c, buf, len);
    c[8] = 2;
    {
        uint32_t crc = nn_crc32(0, c, len - 4);
        c[len - 4] = (unsigned char)crc; c[len - 3] = (unsigned char)(crc >> 8);
        c[len - 2] = (unsigned char)(crc >> 16); c[len - 1] = (unsigned char)(crc >> 24);
    }
    CHECK(nn_model_load_mem(c, len, &b, &info) == NN_ERR_FORMAT &&
          strstr(info.error, "version") != NULL, "version 2 refused: %s", info.error);
    /* a huge layer size claim with a valid CRC: refused before allocating */
    memcpy(c, buf, len);
    c[120] = 0xff; c[121] = 0xff; c[122] = 0xff; c[123] = 0x00;  /* 2^24-1 outputs */
    {
        uint32_t crc = nn_crc32(0, c, len - 4);
        c[len - 4] = (unsigned char)crc; c[len - 3] = (unsigned char)(crc >> 8);
        c[len - 2] = (unsigned char)(crc >> 16); c[len - 1] = (unsigned char)(crc >> 24);
    }
    CHECK(nn_model_load_mem(c, len, &b, &info) == NN_ERR_FORMAT && b == NULL,
          "oversized layer claim refused: %s", info.error);
    /* files on disk: truncated, empty, missing, a directory */
    CHECK(spit(p2, buf, len / 2) && nn_model_load(p2, &b, &info) == NN_ERR_FORMAT &&
          strstr(info.error, "truncated") != NULL, "truncated file: %s", info.error);
    CHECK(spit(p2, buf, 0) && nn_model_load(p2, &b, &info) == NN_ERR_FORMAT,
          "empty file refused");
    remove(p2);
    CHECK(nn_model_load(p2, &b, &info) == NN_ERR_IO, "missing file is NN_ERR_IO");
    st = nn_model_load(".", &b, &info);
    CHECK(st != NN_OK && b == NULL, "a directory is refused (%s)", nn_status_str(st));
    CHECK(nn_model_load(path, NULL, NULL) == NN_ERR_ARG, "NULL out");
    CHECK(nn_model_load_mem(NULL, 10, &b, NULL) == NN_ERR_ARG, "NULL buffer");
    free(c);
    free(buf);
    remove(path);
    nn_net_free(a);
}

/* A failed save never destroys the previous model: make path.tmp a
 * directory so the temporary file cannot be created. */
static void test_atomic_save(void)
{
    nn_net *a = make_net(3), *b = NULL;
    char *path = tmp_path("atomic.nnm");
    if (!a) return;
    CHECK(nn_model_save(path, a, NULL) == NN_OK, "first save");
#if HAVE_MKDIR
    {
        char tmp[300];
        nn_status st;
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        rmdir(tmp);
        if (mkdir(tmp, 0700) == 0) {
            nn_net_init(a, NN_INIT_XAVIER, 0.0f, 4);     /* different weights */
            st = nn_model_save(path, a, NULL);
            CHECK(st == NN_ERR_IO, "save with an unwritable temporary is NN_ERR_IO");
            CHECK(nn_model_load(path, &b, NULL) == NN_OK && b && nn_net_seed(b) == 3,
                  "the previous model is intact");
            nn_net_free(b);
            rmdir(tmp);
        }
    }
#endif
    CHECK(nn_model_save("/nonexistent-dir/x.nnm", a, NULL) == NN_ERR_IO,
          "unwritable directory is NN_ERR_IO");
    CHECK(nn_model_save(path, NULL, NULL) == NN_ERR_ARG, "NULL net");
    remove(path);
    nn_net_free(a);
}

int main(void)
{
    th_begin("test_model");
    test_round_trip();
    test_checkpoint_fields();
    test_resume();
    test_resume_fit();
    test_damage();
    test_atomic_save();
    return th_finish();
}
