#pragma once
// See the README beside gloo/: ProcessGroupGloo.hpp holds these by smart pointer only.
namespace gloo {
namespace transport {
class Device;
class UnboundBuffer;
}  // namespace transport
}  // namespace gloo
