#pragma once
// See the README beside gloo/: ProcessGroupGloo.hpp holds gloo::Context by shared_ptr only; its
// inline setTimeout (never emitted by botui: the class's vtable lives in libtorch_cpu.so) names
// the one member declared here.
#include <chrono>

namespace gloo {
class Context {
 public:
  void setTimeout(std::chrono::milliseconds timeout);
};
}  // namespace gloo
