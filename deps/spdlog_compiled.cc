// spdlog's compiled part (SPDLOG_COMPILED_LIB: what libspdlog.so holds),
// built into runsc: Debian's libspdlog-dev ships no static archive, but
// ships the -inl.h files its own sources are made of.
#include <mutex>

#include "spdlog/async_logger-inl.h"
#include "spdlog/common-inl.h"
#include "spdlog/details/backtracer-inl.h"
#include "spdlog/details/file_helper-inl.h"
#include "spdlog/details/log_msg-inl.h"
#include "spdlog/details/log_msg_buffer-inl.h"
#include "spdlog/details/null_mutex.h"
#include "spdlog/details/os-inl.h"
#include "spdlog/details/periodic_worker-inl.h"
#include "spdlog/details/registry-inl.h"
#include "spdlog/details/thread_pool-inl.h"
#include "spdlog/logger-inl.h"
#include "spdlog/pattern_formatter-inl.h"
#include "spdlog/sinks/ansicolor_sink-inl.h"
#include "spdlog/sinks/base_sink-inl.h"
#include "spdlog/sinks/basic_file_sink-inl.h"
#include "spdlog/sinks/sink-inl.h"
#include "spdlog/sinks/stdout_color_sinks-inl.h"
#include "spdlog/sinks/stdout_sinks-inl.h"
#include "spdlog/spdlog-inl.h"

// The sink templates the headers leave to the compiled library.
namespace spdlog {
template class SPDLOG_API sinks::base_sink<std::mutex>;
template class SPDLOG_API sinks::base_sink<details::null_mutex>;
template class SPDLOG_API sinks::basic_file_sink<std::mutex>;
template class SPDLOG_API sinks::basic_file_sink<details::null_mutex>;
template class SPDLOG_API sinks::stdout_sink_base<details::console_mutex>;
template class SPDLOG_API sinks::stdout_sink_base<details::console_nullmutex>;
template class SPDLOG_API sinks::stdout_sink<details::console_mutex>;
template class SPDLOG_API sinks::stdout_sink<details::console_nullmutex>;
template class SPDLOG_API sinks::stderr_sink<details::console_mutex>;
template class SPDLOG_API sinks::stderr_sink<details::console_nullmutex>;
template class SPDLOG_API sinks::ansicolor_sink<details::console_mutex>;
template class SPDLOG_API sinks::ansicolor_sink<details::console_nullmutex>;
template class SPDLOG_API sinks::ansicolor_stdout_sink<details::console_mutex>;
template class SPDLOG_API
    sinks::ansicolor_stdout_sink<details::console_nullmutex>;
template class SPDLOG_API sinks::ansicolor_stderr_sink<details::console_mutex>;
template class SPDLOG_API
    sinks::ansicolor_stderr_sink<details::console_nullmutex>;
}  // namespace spdlog
