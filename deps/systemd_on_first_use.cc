// The sd-bus calls of the systemd cgroup driver (platform/cgroup_systemd.cc),
// resolved from libsystemd.so.0 on first use instead of at every exec.
//
// runsc re-executes itself four times per container (init, gofer, sentry,
// watchdog) and only `create`/`delete` with --systemd-cgroup talk to
// systemd; loading libsystemd and the six libraries it needs cost each exec
// ~7 ms of dynamic loading on the bench VM. The runsc executable is linked
// with this file and --as-needed, so libsystemd is not among its DT_NEEDED;
// the test binaries link libsystemd as before.
//
// Each wrapper forwards to the same function of libsystemd, looked up with
// dlsym on the handle dlopen returned (never RTLD_DEFAULT, which would find
// the wrapper itself). Without libsystemd a call fails with -ELIBACC, which
// the driver reports as an sd-bus error; the unref/free calls do nothing,
// as there is nothing libsystemd could have allocated.
#include <dlfcn.h>
#include <errno.h>
#include <systemd/sd-bus.h>

#include <cstdarg>

namespace {

void* Libsystemd() {
  static void* const handle = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  return handle;
}

// The libsystemd function `name`, with the type of its declaration in sd-bus.h.
template <typename Function>
Function* Resolve(const char* name) {
  void* handle = Libsystemd();
  return handle == nullptr ? nullptr
                           : reinterpret_cast<Function*>(dlsym(handle, name));
}

}  // namespace

// FORWARD(ret, name, on_missing, (params), (args)): defines `name` as a call
// of libsystemd's `name`, resolved once; `on_missing` when it cannot be.
#define FORWARD(ret, name, on_missing, params, args)            \
  extern "C" ret name params {                                  \
    static auto* const real = Resolve<decltype(::name)>(#name); \
    if (real == nullptr) return on_missing;                     \
    return real args;                                           \
  }

FORWARD(int, sd_bus_new, -ELIBACC, (sd_bus * *ret), (ret))
FORWARD(int, sd_bus_open_system, -ELIBACC, (sd_bus * *ret), (ret))
FORWARD(int, sd_bus_set_address, -ELIBACC, (sd_bus * bus, const char* address),
        (bus, address))
FORWARD(int, sd_bus_start, -ELIBACC, (sd_bus * bus), (bus))
FORWARD(int, sd_bus_set_method_call_timeout, -ELIBACC,
        (sd_bus * bus, uint64_t usec), (bus, usec))
FORWARD(sd_bus*, sd_bus_flush_close_unref, nullptr, (sd_bus * bus), (bus))
FORWARD(int, sd_bus_process, -ELIBACC, (sd_bus * bus, sd_bus_message** r),
        (bus, r))
FORWARD(int, sd_bus_wait, -ELIBACC, (sd_bus * bus, uint64_t timeout_usec),
        (bus, timeout_usec))
FORWARD(int, sd_bus_call, -ELIBACC,
        (sd_bus * bus, sd_bus_message* m, uint64_t usec,
         sd_bus_error* ret_error, sd_bus_message** reply),
        (bus, m, usec, ret_error, reply))
FORWARD(int, sd_bus_match_signal, -ELIBACC,
        (sd_bus * bus, sd_bus_slot** ret, const char* sender, const char* path,
         const char* interface, const char* member,
         sd_bus_message_handler_t callback, void* userdata),
        (bus, ret, sender, path, interface, member, callback, userdata))
FORWARD(sd_bus_slot*, sd_bus_slot_unref, nullptr, (sd_bus_slot * slot), (slot))
FORWARD(int, sd_bus_message_new_method_call, -ELIBACC,
        (sd_bus * bus, sd_bus_message** m, const char* destination,
         const char* path, const char* interface, const char* member),
        (bus, m, destination, path, interface, member))
FORWARD(sd_bus_message*, sd_bus_message_unref, nullptr, (sd_bus_message * m),
        (m))
FORWARD(int, sd_bus_message_open_container, -ELIBACC,
        (sd_bus_message * m, char type, const char* contents),
        (m, type, contents))
FORWARD(int, sd_bus_message_close_container, -ELIBACC, (sd_bus_message * m),
        (m))
FORWARD(int, sd_bus_message_append_array, -ELIBACC,
        (sd_bus_message * m, char type, const void* ptr, size_t size),
        (m, type, ptr, size))
FORWARD(int, sd_bus_message_appendv, -ELIBACC,
        (sd_bus_message * m, const char* types, va_list ap), (m, types, ap))
FORWARD(int, sd_bus_message_readv, -ELIBACC,
        (sd_bus_message * m, const char* types, va_list ap), (m, types, ap))
FORWARD(int, sd_bus_error_is_set, 0, (const sd_bus_error* e), (e))

extern "C" void sd_bus_error_free(sd_bus_error* e) {
  static auto* const real =
      Resolve<decltype(::sd_bus_error_free)>("sd_bus_error_free");
  if (real != nullptr) real(e);
}

// The variadic calls go through their va_list forms.
extern "C" int sd_bus_message_append(sd_bus_message* m, const char* types,
                                     ...) {
  va_list ap;
  va_start(ap, types);
  int r = sd_bus_message_appendv(m, types, ap);
  va_end(ap);
  return r;
}

extern "C" int sd_bus_message_read(sd_bus_message* m, const char* types, ...) {
  va_list ap;
  va_start(ap, types);
  int r = sd_bus_message_readv(m, types, ap);
  va_end(ap);
  return r;
}
