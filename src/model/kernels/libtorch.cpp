// The two backward kernels of a training step that tch does not bind: ATen's
// convolution_backward (oneDNN/cuDNN backward-data and backward-weights primitives, the same call
// PyTorch's autograd makes) and native_batch_norm_backward (one fused pass). Without them burn
// falls back to composites: the weight gradient as a forward convolution over transposed copies,
// BatchNorm as a dozen element-wise kernels.
//
// Also the few device and memory-format calls of the GPU path that tch does not bind either:
// channels_last, the pinned, asynchronous host-to-device copy on a side stream, and cuDNN's TF32
// switch. They use c10's device-generic stream and event API, so this file needs no CUDA headers
// and builds against a CPU machine's LibTorch; the CUDA implementation is found at run time.
//
// Tensors cross as `at::Tensor*`, the representation of tch's `C_tensor`. Results are new heap
// tensors that the Rust side takes ownership of; errors come back as a malloc'd message (free it
// with botui_free_error) instead of an exception crossing the FFI boundary.

#include <ATen/ATen.h>
#include <c10/core/Event.h>
#include <c10/core/StreamGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>

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

// `input` in the channels_last memory format (NHWC strides, same shape and values) when
// `channels_last` is non-zero, else contiguous (NCHW). ATen's convolutions pick their memory format
// from their input, and batch norm, ReLU, pooling and additions keep it, so converting a network's
// input is enough for every layer after it.
char *botui_memory_format(const at::Tensor *input, int channels_last, at::Tensor **out) {
    try {
        auto format = channels_last != 0 ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
        *out = new at::Tensor(input->contiguous(format));
        return nullptr;
    } catch (const std::exception &e) {
        return copy_message(e.what());
    }
}

// Whether `input` is laid out channels_last (for tests and the self-test).
int botui_is_channels_last(const at::Tensor *input) {
    return input->dim() == 4 && input->is_contiguous(at::MemoryFormat::ChannelsLast) &&
                   !input->is_contiguous(at::MemoryFormat::Contiguous)
               ? 1
               : 0;
}

// Copies a CPU tensor to CUDA device `device_index`:
// - `pin`: through page-locked host memory (a copy into LibTorch's caching host allocator), which
//   lets the copy run asynchronously to the host;
// - `side_stream` (needs `pin`): the copy runs on a stream of its own, so it overlaps with the
//   kernels still queued on the compute stream (the previous training step); the compute stream
//   waits for it with an event before the first kernel that reads the result, and the caching
//   allocator is told the result is used there.
// Neither: a plain synchronous copy, as `Tensor::to` does.
char *botui_upload(const at::Tensor *host, int64_t device_index, int pin, int side_stream,
                   at::Tensor **out) {
    try {
        at::Device device(at::kCUDA, static_cast<c10::DeviceIndex>(device_index));
        at::Tensor src = *host;
        if (pin != 0 && !src.is_pinned()) {
            src = src.pin_memory();
        }
        if (pin == 0 || side_stream == 0) {
            *out = new at::Tensor(src.to(device, /*non_blocking=*/pin != 0));
            return nullptr;
        }
        c10::impl::VirtualGuardImpl cuda(at::kCUDA);
        c10::Stream compute = cuda.getStream(device);
        c10::Stream copy = cuda.getStreamFromGlobalPool(device, /*isHighPriority=*/false);
        at::Tensor result;
        {
            c10::StreamGuard on_copy(copy);
            result = src.to(device, /*non_blocking=*/true);
        }
        c10::Event copied(at::kCUDA);
        copied.record(copy);
        copied.block(compute);
        result.record_stream(compute);
        *out = new at::Tensor(std::move(result));
        return nullptr;
    } catch (const std::exception &e) {
        return copy_message(e.what());
    }
}

// cuDNN's TF32 switch for FP32 convolutions (LibTorch's default: on). Returns the previous value.
int botui_cudnn_allow_tf32(int allow) {
    bool previous = at::globalContext().allowTF32CuDNN();
    at::globalContext().setAllowTF32CuDNN(allow != 0);
    return previous ? 1 : 0;
}

}  // extern "C"
