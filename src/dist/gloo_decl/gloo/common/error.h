#pragma once
// See the README beside gloo/: ProcessGroupGloo.hpp includes this; botui needs nothing from it.
