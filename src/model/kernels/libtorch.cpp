// The two backward kernels of a training step that tch does not bind: ATen's
// convolution_backward (oneDNN/cuDNN backward-data and backward-weights primitives, the same call
// PyTorch's autograd makes) and native_batch_norm_backward (one fused pass). Without them burn
// falls back to composites: the weight gradient as a forward convolution over transposed copies,
// BatchNorm as a dozen element-wise kernels.
//
// Tensors cross as `at::Tensor*`, the representation of tch's `C_tensor`. Results are new heap
// tensors that the Rust side takes ownership of; errors come back as a malloc'd message (free it
// with botui_free_error) instead of an exception crossing the FFI boundary.

#include <ATen/ATen.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <exception>

namespace {

char *copy_message(const char *what) {
    size_t n = std::strlen(what);
    char *out = static_cast<char *>(std::malloc(n + 1));
    if (out != nullptr) {
        std::memcpy(out, what, n + 1);
    }
    return out;
}

}  // namespace

extern "C" {

void botui_free_error(char *message) { std::free(message); }

// Gradients of a 2-D convolution without bias. `grad_input` is only computed (and written) when
// `want_input` is non-zero; the first layer of a network does not need it.
char *botui_conv2d_backward(const at::Tensor *grad_output, const at::Tensor *input,
                            const at::Tensor *weight, const int64_t *stride,
                            const int64_t *padding, const int64_t *dilation, int64_t groups,
                            int want_input, at::Tensor **grad_input, at::Tensor **grad_weight) {
    try {
        auto grads = at::convolution_backward(
            *grad_output, *input, *weight, std::nullopt, at::IntArrayRef(stride, 2),
            at::IntArrayRef(padding, 2), at::IntArrayRef(dilation, 2), false,
            at::IntArrayRef({0, 0}), groups, std::array<bool, 3>{want_input != 0, true, false});
        if (want_input != 0) {
            *grad_input = new at::Tensor(std::move(std::get<0>(grads)));
        }
        *grad_weight = new at::Tensor(std::move(std::get<1>(grads)));
        return nullptr;
    } catch (const std::exception &e) {
        return copy_message(e.what());
    }
}

// Gradients of training-mode batch norm given the batch statistics its forward saved
// (`native_batch_norm`'s save_mean and save_invstd).
char *botui_batch_norm_backward(const at::Tensor *grad_output, const at::Tensor *input,
                                const at::Tensor *weight, const at::Tensor *save_mean,
                                const at::Tensor *save_invstd, double epsilon,
                                at::Tensor **grad_input, at::Tensor **grad_weight,
                                at::Tensor **grad_bias) {
    try {
        auto grads = at::native_batch_norm_backward(
            *grad_output, *input, *weight, std::nullopt, std::nullopt, *save_mean, *save_invstd,
            true, epsilon, std::array<bool, 3>{true, true, true});
        *grad_input = new at::Tensor(std::move(std::get<0>(grads)));
        *grad_weight = new at::Tensor(std::move(std::get<1>(grads)));
        *grad_bias = new at::Tensor(std::move(std::get<2>(grads)));
        return nullptr;
    } catch (const std::exception &e) {
        return copy_message(e.what());
    }
}

}  // extern "C"
