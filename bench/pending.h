/* bench/pending.h - nn.h functions the benchmarks call that an older or
 * in-progress nn.h may declare without defining yet. Referenced weakly, so
 * the benchmark binary still links; a missing one is a NULL pointer and
 * its rows are skipped with a message (NNB_HAVE). With gcc and clang only;
 * elsewhere every function must exist. */
#ifndef NN_BENCH_PENDING_H
#define NN_BENCH_PENDING_H
#include "../nn.h"

#if defined(__GNUC__) || defined(__clang__)
#pragma weak nn_act_forward
#pragma weak nn_act_backward
#pragma weak nn_act_name
#pragma weak nn_softmax
#pragma weak nn_loss_eval
#pragma weak nn_loss_name
#pragma weak nn_net_create
#pragma weak nn_net_free
#pragma weak nn_net_init
#pragma weak nn_net_set_loss
#pragma weak nn_ctx_create
#pragma weak nn_ctx_free
#pragma weak nn_predict
#pragma weak nn_train_step
#pragma weak nn_opt_default
#define NNB_HAVE(fn) ((fn) != 0)
#else
#define NNB_HAVE(fn) 1
#endif

#endif
