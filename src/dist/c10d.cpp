// botui's door to PyTorch's distributed engine, c10d, as compiled into LibTorch: the TCPStore
// rendezvous, ProcessGroupGloo (CPU tensors) and ProcessGroupNCCL (CUDA tensors, when this
// LibTorch has it and build.rs found NCCL's and CUDA's headers). Nothing here talks to the network
// itself: every byte goes through c10d.
//
// The C ABI follows src/model/kernels/libtorch.cpp: tensors cross as `at::Tensor*` (tch's
// `C_tensor`), results are new heap tensors the Rust side owns, and every function returns NULL
// or a malloc'd error message (free it with botui_c10d_free) instead of letting a C++ exception
// cross the FFI boundary.

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef BOTUI_C10D_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

struct BotuiStore {
    c10::intrusive_ptr<c10d::Store> store;
};

struct BotuiGroup {
    c10::intrusive_ptr<c10d::Backend> backend;
    std::chrono::milliseconds timeout;
    int world;
};

namespace {

char *copy_message(const std::string &what) {
    char *out = static_cast<char *>(std::malloc(what.size() + 1));
    if (out != nullptr) {
        std::memcpy(out, what.c_str(), what.size() + 1);
    }
    return out;
}

// Runs `body`, turning any exception into a message. c10's errors carry a C++ backtrace that
// means nothing to a user; their text without it is what PyTorch prints too.
template <typename F>
char *guarded(F &&body) {
    try {
        body();
        return nullptr;
    } catch (const c10::Error &e) {
        return copy_message(e.what_without_backtrace());
    } catch (const std::exception &e) {
        return copy_message(e.what());
    } catch (...) {
        return copy_message("unknown C++ exception");
    }
}

enum Collective { ALL_REDUCE_SUM = 0, BROADCAST_FROM_0 = 1 };

// One collective over many tensors, in buckets of at most `bucket_bytes` (a larger tensor is a
// bucket of its own), as DistributedDataParallel does: each bucket is flattened into one
// contiguous tensor, every bucket's collective is started before any is waited for (Gloo runs
// them on its worker threads, NCCL on its stream), and the results come back as views of the
// flat buckets. Tensors of different dtypes or devices never share a bucket.
void bucketed(BotuiGroup *group, Collective kind, const at::Tensor **inputs, size_t n,
              int64_t bucket_bytes, int average, at::Tensor **outputs) {
    struct Bucket {
        std::vector<size_t> members;
        int64_t bytes = 0;
        at::Tensor flat;
        c10::intrusive_ptr<c10d::Work> work;
    };
    std::vector<Bucket> buckets;
    for (size_t i = 0; i < n; ++i) {
        const at::Tensor &t = *inputs[i];
        int64_t bytes = t.numel() * static_cast<int64_t>(t.element_size());
        bool fits = false;
        if (!buckets.empty()) {
            const Bucket &last = buckets.back();
            const at::Tensor &first = *inputs[last.members.front()];
            fits = first.scalar_type() == t.scalar_type() && first.device() == t.device() &&
                   last.bytes + bytes <= bucket_bytes;
        }
        if (!fits) {
            buckets.emplace_back();
        }
        buckets.back().members.push_back(i);
        buckets.back().bytes += bytes;
    }
    for (Bucket &b : buckets) {
        std::vector<at::Tensor> parts;
        parts.reserve(b.members.size());
        for (size_t i : b.members) {
            parts.push_back(inputs[i]->reshape({-1}));
        }
        b.flat = at::cat(parts);
        std::vector<at::Tensor> io{b.flat};
        if (kind == ALL_REDUCE_SUM) {
            c10d::AllreduceOptions opts;
            opts.reduceOp = c10d::ReduceOp::SUM;
            opts.timeout = group->timeout;
            b.work = group->backend->allreduce(io, opts);
        } else {
            c10d::BroadcastOptions opts;
            opts.rootRank = 0;
            opts.timeout = group->timeout;
            b.work = group->backend->broadcast(io, opts);
        }
    }
    for (Bucket &b : buckets) {
        b.work->wait(group->timeout);
        if (average != 0) {
            b.flat.div_(group->world);
        }
        int64_t offset = 0;
        for (size_t i : b.members) {
            const at::Tensor &t = *inputs[i];
            outputs[i] = new at::Tensor(b.flat.narrow(0, offset, t.numel()).view(t.sizes()));
            offset += t.numel();
        }
    }
}

}  // namespace

extern "C" {

void botui_c10d_free(void *p) { std::free(p); }

int botui_c10d_has_nccl() {
#ifdef BOTUI_C10D_NCCL
    return 1;
#else
    return 0;
#endif
}

// A TCPStore: the server (which also joins as a client) when `is_server`, else a client of
// `host:port`. With `world > 0` every rank counts itself in and the server waits, up to
// `timeout_ms`, until `world` have. `prefix` (may be empty) scopes every key.
char *botui_c10d_store_new(const char *host, uint16_t port, int is_server, int world,
                           int64_t timeout_ms, const char *prefix, BotuiStore **out) {
    return guarded([&] {
        c10d::TCPStoreOptions opts;
        opts.port = port;
        opts.isServer = is_server != 0;
        if (world > 0) {
            opts.numWorkers = static_cast<size_t>(world);
            opts.waitWorkers = true;
        } else {
            opts.waitWorkers = false;
        }
        opts.timeout = std::chrono::milliseconds(timeout_ms);
        c10::intrusive_ptr<c10d::Store> store =
            c10::make_intrusive<c10d::TCPStore>(std::string(host), opts);
        if (prefix != nullptr && prefix[0] != '\0') {
            store = c10::make_intrusive<c10d::PrefixStore>(std::string(prefix), store);
        }
        *out = new BotuiStore{store};
    });
}

// A second connection to the same store, for a thread that must not queue behind the first.
char *botui_c10d_store_clone(BotuiStore *store, BotuiStore **out) {
    return guarded([&] { *out = new BotuiStore{store->store->clone()}; });
}

void botui_c10d_store_free(BotuiStore *store) { delete store; }

char *botui_c10d_store_set(BotuiStore *store, const char *key, const uint8_t *data, size_t len) {
    return guarded([&] { store->store->set(key, std::vector<uint8_t>(data, data + len)); });
}

// Waits up to `timeout_ms` for `key`, then reads it into a malloc'd buffer (botui_c10d_free).
char *botui_c10d_store_get(BotuiStore *store, const char *key, int64_t timeout_ms,
                           uint8_t **data, size_t *len) {
    return guarded([&] {
        store->store->wait({std::string(key)}, std::chrono::milliseconds(timeout_ms));
        std::vector<uint8_t> value = store->store->get(key);
        *len = value.size();
        *data = static_cast<uint8_t *>(std::malloc(value.empty() ? 1 : value.size()));
        if (*data == nullptr) {
            throw std::bad_alloc();
        }
        if (!value.empty()) {
            std::memcpy(*data, value.data(), value.size());
        }
    });
}

// Adds `delta` to the integer at `key` (0 when absent) and returns the new value.
char *botui_c10d_store_add(BotuiStore *store, const char *key, int64_t delta, int64_t *value) {
    return guarded([&] { *value = store->store->add(key, delta); });
}

// Whether `key` is set, without waiting.
char *botui_c10d_store_check(BotuiStore *store, const char *key, int *present) {
    return guarded([&] { *present = store->store->check({std::string(key)}) ? 1 : 0; });
}

// A process group of `world` ranks over `store`: Gloo (`nccl == 0`, CPU tensors) or NCCL on
// CUDA device `cuda_device`. `timeout_ms` bounds every collective: a rank that stops answering
// turns into an error here instead of a hang.
char *botui_c10d_group_new(BotuiStore *store, int nccl, int rank, int world, int64_t timeout_ms,
                           int cuda_device, BotuiGroup **out) {
    return guarded([&] {
        auto timeout = std::chrono::milliseconds(timeout_ms);
        auto scoped = c10::make_intrusive<c10d::PrefixStore>("botui/pg", store->store);
        c10::intrusive_ptr<c10d::Backend> backend;
        if (nccl == 0) {
            auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
            // As torch.distributed does: GLOO_SOCKET_IFNAME picks the interface, else the
            // address this machine's hostname resolves to (loopback if it resolves to none).
            const char *ifname = std::getenv("GLOO_SOCKET_IFNAME");
            if (ifname != nullptr && ifname[0] != '\0') {
                opts->devices.push_back(
                    c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
            } else {
                opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
            }
            backend = c10::make_intrusive<c10d::ProcessGroupGloo>(scoped, rank, world, opts);
        } else {
#ifdef BOTUI_C10D_NCCL
            c10::cuda::set_device(static_cast<c10::DeviceIndex>(cuda_device));
            auto opts = c10d::ProcessGroupNCCL::Options::create();
            opts->timeout = timeout;
            backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(scoped, rank, world, opts);
#else
            (void)cuda_device;
            throw std::runtime_error(
                "this botui was built without c10d's NCCL backend (build.rs found no CUDA "
                "LibTorch with NCCL's headers)");
#endif
        }
        *out = new BotuiGroup{backend, timeout, world};
    });
}

void botui_c10d_group_free(BotuiGroup *group) { delete group; }

// Sums `inputs[0..n]` over all ranks (divided by the world size when `average`), in buckets of
// `bucket_bytes`; `outputs[i]` gets a new tensor shaped like `inputs[i]`.
char *botui_c10d_all_reduce(BotuiGroup *group, const at::Tensor **inputs, size_t n,
                            int64_t bucket_bytes, int average, at::Tensor **outputs) {
    return guarded(
        [&] { bucketed(group, ALL_REDUCE_SUM, inputs, n, bucket_bytes, average, outputs); });
}

// Rank 0's `inputs[0..n]` on every rank, as new tensors in `outputs`.
char *botui_c10d_broadcast(BotuiGroup *group, const at::Tensor **inputs, size_t n,
                           int64_t bucket_bytes, at::Tensor **outputs) {
    return guarded([&] { bucketed(group, BROADCAST_FROM_0, inputs, n, bucket_bytes, 0, outputs); });
}

char *botui_c10d_barrier(BotuiGroup *group) {
    return guarded([&] {
        c10d::BarrierOptions opts;
        opts.timeout = group->timeout;
        group->backend->barrier(opts)->wait(group->timeout);
    });
}

}  // extern "C"
