// The native C++ API of kthreads, in one include.
#pragma once

#include "kt/control.hpp"
#include "kt/error.hpp"
#include "kt/kernel.hpp"
#include "kt/ps.hpp"
#include "kt/rendez.hpp"
#include "kt/sleep.hpp"
#include "kt/startup.hpp"
#include "kt/sync.hpp"
#include "kt/thread.hpp"
